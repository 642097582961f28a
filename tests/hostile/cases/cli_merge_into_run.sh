# merge RUN --out RUN would replace the scan's summary.json with the merge's (plot RUN then
# fails); a merge is never written into a scan run or a batch root, nor a scan into a merge.
event=(--event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --radius 800 --days-before 20)
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --indices "$DATA/indices/SW-All.txt" \
  "${event[@]}" --out cube.h5
expect 0 -- scan --cube cube.h5 --models median-iqr -q --out run
snapshot run/summary.json run/scan.h5
expect 2 "--out" "run" "is also an input" -- merge run --out run -q
unchanged run/summary.json run/scan.h5
absent run/merge.h5

mkdir batch
cp -r run batch/ev1
snapshot batch/ev1/summary.json
# Inside an input: the next merge of that root would take the merge for a run.
expect 2 "--out" "inside the input" -- merge batch --out batch/stats -q
absent batch/stats
# Another kind of directory: a scan run, a batch root.
expect 2 "--out" "a scan run" -- merge batch --out run -q
unchanged run/summary.json
expect 2 "--out" "a batch root" -- merge run --out batch -q
unchanged batch/ev1/summary.json

# A scan is never written into a merge.
expect 0 -- merge run --out stats -q
snapshot stats/summary.json
expect 2 "--out" "a merge" -- scan --cube cube.h5 --models median-iqr -q --out stats
unchanged stats/summary.json
absent stats/scan.h5
