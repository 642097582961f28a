# merge --out DIR where DIR holds the user's own files: a merge may go there, but never over one
# of them (a user's events.csv or summary.json would otherwise be replaced by the merge's).
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --indices "$DATA/indices/SW-All.txt" \
  --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --radius 800 --days-before 20 --out cube.h5
expect 0 -- scan --cube cube.h5 --models median-iqr -q --out run
mkdir notes
echo "my own list of events" > notes/events.csv
snapshot notes/events.csv
expect 2 "--out" "events.csv" "replace" -- merge run --out notes -q
unchanged notes/events.csv
absent notes/merge.h5
absent notes/summary.json
# A directory of other files without those names receives the merge.
mkdir papers
echo "draft" > papers/draft.txt
expect 0 -- merge run --out papers -q
[ -s papers/summary.json ] || fail "the merge into papers/ wrote no summary.json"
[ "$(cat papers/draft.txt)" = draft ] || fail "papers/draft.txt was changed"
