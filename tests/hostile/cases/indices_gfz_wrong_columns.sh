# A GFZ day record with a field missing: exit 2, the file and line, 28 fields expected, 27 found.
head -n 45 "$DATA/indices/Kp_ap_Ap_SN_F107_2020.txt" >gfz.txt
sed -i '43s/ [^ ]*$//' gfz.txt
expect 2 "gfz.txt:43" "28 blank-separated fields" "found 27" -- \
  indices --indices gfz.txt --start 2020-01-01 --end 2020-01-05
# GFZ fill values (-1.000 Kp, -1 ap/Ap, -1.0 F10.7) are missing data.
head -n 40 "$DATA/indices/Kp_ap_Ap_SN_F107_2020.txt" >fill.txt
echo "2020 01 01 32142 32142.5 2542 22 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000   -1   -1   -1   -1   -1   -1   -1   -1    -1  -1     -1.0     -1.0 0" >>fill.txt
expect 0 "note: kp covers 0 of 24 hours" "note: ap covers 0 of 24 hours" \
  "note: f107_obs covers 0 of 24 hours" -- \
  indices --indices fill.txt --start 2020-01-01 --end 2020-01-01
for extreme in "Kp max" "ap max" "F10.7 max"; do
  grep -qE "^$extreme +n/a" <<<"$OUT" || fail "$extreme is not n/a: $OUT"
done
