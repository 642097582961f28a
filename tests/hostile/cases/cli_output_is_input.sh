# An output path that is one of the inputs is refused before anything is written: the index
# file, the catalogue, the config or the cube is never replaced by an output.
cp "$DATA/indices/SW-All.txt" sw.txt
cp "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" events.csv
snapshot sw.txt events.csv
event=(--event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --radius 800 --days-before 20)
expect 2 "--out" "sw.txt" "is also an input" -- ingest --ionex "$DATA/ionex/jpl-2000-2001" \
  --indices sw.txt "${event[@]}" --out sw.txt
unchanged sw.txt
expect 2 "--out" "events.csv" "is also an input" -- ingest --ionex "$DATA/ionex/jpl-2000-2001" \
  --indices sw.txt --catalog events.csv --event-id usp000a7m5 --out ./events.csv
unchanged events.csv

# The same file under another name (a hard link) is the same input.
ln sw.txt sw-link.txt
expect 2 "--out" "is also an input" -- ingest --ionex "$DATA/ionex/jpl-2000-2001" \
  --indices sw.txt "${event[@]}" --out sw-link.txt
unchanged sw.txt

# scan: the run directory would replace its own config.used.toml (the input --config).
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --indices sw.txt "${event[@]}" --out cube.h5
expect 0 -- scan --cube cube.h5 --models median-iqr -q --out run
snapshot run/config.used.toml
expect 2 "--out" "config.used.toml" "is also an input" -- scan --cube cube.h5 \
  --config run/config.used.toml --models median-iqr -q --out run
unchanged run/config.used.toml
