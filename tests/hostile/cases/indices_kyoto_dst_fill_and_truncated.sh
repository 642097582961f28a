# Kyoto Dst: 9999 is a missing hour, never 9999 nT; a record cut short is refused with its file
# and line.
record=$(head -n 1 "$DATA/indices/dst2000.txt")
printf '%s%s%s\n' "${record:0:20}" "$(printf '9999%.0s' {1..24})" "${record:116}" >dst.txt
expect 0 "note: dst covers 0 of 24 hours" -- \
  indices --indices dst.txt --start 2000-01-01 --end 2000-01-01
grep -qE "^Dst min +n/a" <<<"$OUT" || fail "Dst min is not n/a: $OUT"
! grep -q "9999" <<<"$OUT" || fail "a fill value was read as a number: $OUT"
head -n 3 "$DATA/indices/dst2000.txt" >cut.txt
sed -i '2s/^\(.\{60\}\).*/\1/' cut.txt
expect 2 "cut.txt:2" "120-byte Kyoto WDC Dst record" -- \
  indices --indices cut.txt --start 2000-01-01 --end 2000-01-01
