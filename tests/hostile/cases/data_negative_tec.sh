# A raw -9999 (not the 9999 fill value) is -999.9 TECU: refused with the file and its line.
mkdir in
gzip -dc "$DATA/ionex/jpl-2000-2001/jplg3400.00i.Z" >in/jplg3400.00i
/usr/bin/python3 - in/jplg3400.00i <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
row = next(i for i, l in enumerate(lines) if l[60:].strip() == "LAT/LON1/LON2/DLON/H")
lines[row + 1] = "-9999" + lines[row + 1][5:]  # line 63: the first value of the first row
open(sys.argv[1], "w").write("\n".join(lines))
PY
expect 2 "jplg3400.00i:63" "-999.9" -- ingest --ionex in --event 2000-12-05T12:00:00Z,13,-88.7 \
  --days-before 1 --days-after 1 --out cube.h5
absent cube.h5
