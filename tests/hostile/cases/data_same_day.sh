# Two different files for the same UTC day: refused, naming both (ingest took the first).
mkdir a b
cp "$DATA/ionex/jpl-2000-2001/jplg3400.00i.Z" "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" a/
gzip -dc "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" >b/other3410.00i
sed -i '63s/^.\{5\}/  123/' b/other3410.00i  # one value of the first map changed
expect 2 "a/jplg3410.00i.Z" "b/other3410.00i" "same UTC day" -- ingest --ionex a b \
  --event 2000-12-06T12:00:00Z,13,-88.7 --days-before 1 --days-after 1 --out cube.h5
absent cube.h5
