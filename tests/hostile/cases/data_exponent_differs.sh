# One day's header says EXPONENT -3 where the others say -1: values 100 times too small but
# inside the physical range, so a warning names the file and the line of that EXPONENT.
mkdir in
for d in 340 341 342; do gzip -dc "$DATA/ionex/jpl-2000-2001/jplg${d}0.00i.Z" >in/jplg${d}0.00i; done
sed -i '27s/^    -1/    -3/' in/jplg3410.00i
grep -q "^    -3 .*EXPONENT" in/jplg3410.00i || fail "the EXPONENT record was not edited"
expect 0 "jplg3410.00i:27" "EXPONENT -3" "EXPONENT -1" -- ingest --ionex in \
  --event 2000-12-06T12:00:00Z,13,-88.7 --days-before 1 --days-after 1 --out cube.h5
[ -f cube.h5 ] || fail "no cube was written"
