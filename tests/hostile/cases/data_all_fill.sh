# A day whose every TEC value is 9999 (no value): refused, naming the file; no cube.
mkdir in
gzip -dc "$DATA/ionex/jpl-2000-2001/jplg3400.00i.Z" >in/jplg3400.00i
gzip -dc "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" >in/jplg3410.00i
/usr/bin/python3 - in/jplg3410.00i <<'PY'
import re, sys
lines, in_tec = open(sys.argv[1]).read().split("\n"), False
for i, line in enumerate(lines):
    label = line[60:].strip()
    if label in ("START OF TEC MAP", "END OF TEC MAP"):
        in_tec = label.startswith("START")
    elif in_tec and label not in ("LAT/LON1/LON2/DLON/H", "EPOCH OF CURRENT MAP"):
        lines[i] = re.sub(r".{5}", " 9999", line)
open(sys.argv[1], "w").write("\n".join(lines))
PY
expect 2 "jplg3410.00i" "9999" -- ingest --ionex in --event 2000-12-06T12:00:00Z,13,-88.7 \
  --days-before 1 --days-after 1 --out cube.h5
absent cube.h5
