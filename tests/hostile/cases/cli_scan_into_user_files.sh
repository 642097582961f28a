# scan --out DIR where DIR holds the user's own files: a run may go there, but never over one of
# them (a user's anomalies.csv or summary.json would otherwise be replaced by the scan's).
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --indices "$DATA/indices/SW-All.txt" \
  --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --radius 800 --days-before 20 --out cube.h5
mkdir notes
echo "my own anomaly list" > notes/anomalies.csv
snapshot notes/anomalies.csv
expect 2 "--out" "anomalies.csv" "replace" -- scan --cube cube.h5 --models median-iqr -q --out notes
unchanged notes/anomalies.csv
absent notes/scan.h5
absent notes/summary.json
# A directory of other files without those names receives the run.
mkdir papers
echo "draft" > papers/draft.txt
expect 0 -- scan --cube cube.h5 --models median-iqr -q --out papers
[ -s papers/summary.json ] || fail "the scan into papers/ wrote no summary.json"
[ "$(cat papers/draft.txt)" = draft ] || fail "papers/draft.txt was changed"
