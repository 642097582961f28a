# A cube whose tec is NaN everywhere: the scan refuses it, naming the file and the dataset.
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --event 2000-12-06T12:00:00Z,13,-88.7 \
  --days-before 3 --days-after 1 --out cube.h5
/usr/bin/python3 -c '
import h5py, numpy as np
with h5py.File("cube.h5", "r+") as f: f["tec"][...] = np.nan'
snapshot cube.h5
expect 2 "cube.h5" "tec" "no valid" -- scan --cube cube.h5 --models median-iqr --out run
unchanged cube.h5
absent run/summary.json
