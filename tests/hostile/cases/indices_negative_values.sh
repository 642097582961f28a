# Values no index can take: a negative daily Ap or F10.7 in CelesTrak, a negative or out-of-range
# F10.7 in OMNI2 (999.9 is its fill value, anything above is not a flux). Exit 2, the file, the
# line, the field and the rule.
celestrak() {  # the header and first observed day of SW-All with columns FIRST..FIRST+WIDTH-1 set
  sed -n '1,17p' "$DATA/indices/SW-All.txt"
  sed -n '18p' "$DATA/indices/SW-All.txt" | awk -v first="$1" -v width="$2" -v value="$3" \
    '{ printf "%s%*s%s\n", substr($0, 1, first - 1), width, value, substr($0, first + width) }'
  echo "END OBSERVED"
}
celestrak 79 4 -5 >ap.txt
expect 2 "ap.txt:18" "Ap (columns 79-82) >= 0" "'-5'" -- indices --indices ap.txt --start 1957-10-01 --end 1957-10-01
celestrak 113 6 -3.0 >obs.txt
expect 2 "obs.txt:18" "F10.7 observed" ">= 0" -- \
  indices --indices obs.txt --start 1957-10-01 --end 1957-10-01
celestrak 93 6 -1.0 >adj.txt
expect 2 "adj.txt:18" "F10.7 adjusted" ">= 0" -- \
  indices --indices adj.txt --start 1957-10-01 --end 1957-10-01
awk 'NR <= 24 { if (NR == 2) $51 = -5.0; print }' "$DATA/indices/omni2_2017.dat" >neg.dat
expect 2 "neg.dat:2" "F10.7 (word 51)" "999.9" -- \
  indices --indices neg.dat --start 2017-01-01 --end 2017-01-01
awk 'NR <= 24 { if (NR == 3) $51 = 1234.5; print }' "$DATA/indices/omni2_2017.dat" >big.dat
expect 2 "big.dat:3" "F10.7 (word 51)" "1234.5" -- \
  indices --indices big.dat --start 2017-01-01 --end 2017-01-01
