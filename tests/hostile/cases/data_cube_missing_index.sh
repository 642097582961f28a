# A cube without its Kp dataset: the scan refuses it, naming the dataset (a missing index would
# silently change the quiet mask under [quiet] missing = "ignore").
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --indices "$DATA/indices/SW-All.txt" \
  --event 2000-12-06T12:00:00Z,13,-88.7 --days-before 3 --days-after 1 --out cube.h5
/usr/bin/python3 -c '
import h5py
with h5py.File("cube.h5", "r+") as f: del f["indices/kp"]'
expect 2 "cube.h5" "indices/kp" -- scan --cube cube.h5 --models median-iqr \
  --set quiet.missing=ignore --out run
absent run/summary.json
