# OMNI2 fill values (Kp 99, Dst 99999, F10.7 999.9, ap 999) are missing data, never numbers:
# exit 0, every extreme "n/a", the coverage notes say so, no 999 anywhere.
awk 'NR <= 48 { $39 = 99; $41 = 99999; $50 = 999; $51 = 999.9; print }' \
  "$DATA/indices/omni2_2017.dat" >omni2.dat
expect 0 "note: kp covers 0 of 24 hours" "note: ap covers 0 of 24 hours" \
  "note: dst covers 0 of 24 hours" "note: f107 covers 0 of 24 hours" -- \
  indices --indices omni2.dat --start 2017-01-01 --end 2017-01-01
for extreme in "Kp max" "ap max" "Dst min" "Dst max" "F10.7 max"; do
  grep -qE "^$extreme +n/a" <<<"$OUT" || fail "$extreme is not n/a: $OUT"
done
! grep -q "999" <<<"$OUT" || fail "a fill value was read as a number: $OUT"
