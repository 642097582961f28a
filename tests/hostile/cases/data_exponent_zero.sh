# One day's header says EXPONENT 0 instead of -1: its values are ten times too large
# (hundreds of TECU), refused with the file and the line of the value.
mkdir in
for d in 340 341 342; do gzip -dc "$DATA/ionex/jpl-2000-2001/jplg${d}0.00i.Z" >in/jplg${d}0.00i; done
sed -i '27s/^    -1/     0/' in/jplg3410.00i
grep -q "^     0 .*EXPONENT" in/jplg3410.00i || fail "the EXPONENT record was not edited"
expect 2 "jplg3410.00i:" "TECU" "EXPONENT 0" -- ingest --ionex in \
  --event 2000-12-06T12:00:00Z,13,-88.7 --days-before 1 --days-after 1 --out cube.h5
absent cube.h5
