# A cube with one node that never has a value: the scan runs, says which node it leaves out
# (stderr and summary.json), and that node cannot make the others' statistics NaN.
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --indices "$DATA/indices/SW-All.txt" \
  --event 2000-12-06T12:00:00Z,13,-88.7 --days-before 12 --days-after 1 --out cube.h5
/usr/bin/python3 -c '
import h5py, numpy as np
with h5py.File("cube.h5", "r+") as f: f["tec"][3, :] = np.nan'
expect 0 "1 of 84 nodes have no valid TEC value" "node 3 (" -- scan --cube cube.h5 \
  --models median-iqr,ar --out run
/usr/bin/python3 -c '
import json, sys
s = json.load(open("run/summary.json"))
notes = " ".join(s.get("notes", []))
sys.exit(0 if "node 3 (" in notes and "left out of the statistics" in notes else 1)' ||
  fail "summary.json notes do not name the empty node"
/usr/bin/python3 -c '
import h5py, numpy as np, sys
with h5py.File("run/scan.h5", "r") as f:
    dtec = f["dtec/ar"][...]
others = np.delete(dtec, 3, axis=0)
sys.exit(0 if np.isnan(dtec[3]).all() and np.isfinite(others).any(axis=1).all() else 1)' ||
  fail "the empty node has a DTEC, or another node has none"
