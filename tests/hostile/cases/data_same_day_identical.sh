# The same day twice with the same maps (a copy, and a decompressed copy): accepted as one day,
# and the cube equals the one from the single file.
mkdir a b c
cp "$DATA/ionex/jpl-2000-2001/jplg3400.00i.Z" "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" a/
cp "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" b/
gzip -dc "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" >c/plain3410.00i
expect 0 -- ingest --ionex a --event 2000-12-06T12:00:00Z,13,-88.7 --days-before 1 \
  --days-after 1 --out one.h5
expect 0 -- ingest --ionex a b c --event 2000-12-06T12:00:00Z,13,-88.7 --days-before 1 \
  --days-after 1 --out twice.h5
/usr/bin/python3 -c '
import h5py, numpy as np, sys
a, b = h5py.File("one.h5", "r"), h5py.File("twice.h5", "r")
sys.exit(0 if np.array_equal(a["tec"][...], b["tec"][...], equal_nan=True) else 1)' ||
  fail "the cube from the duplicated day differs from the cube of the single file"
