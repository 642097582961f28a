# fetch never writes over an input or into another command's output. Refused before anything is
# downloaded (exit 2, the path named), the file or directory unchanged: a download --out that is
# a map file, an archive, a scan run, inside a scan run, a batch root, the --archive or the
# --netrc file; a catalogue --out that is any file but an earlier catalogue, a directory, or
# inside a scan run; an --archive that is a scan's scan.h5. No mirror is reachable (port 9): a
# check that let the command through would end in exit 1, not 2.
nowhere=(--base-url http://127.0.0.1:9/ionex --retries 0 -q)
day=(--provider jpl --start 2001-01-01 --end 2001-01-01)
span=(--start 2001-01-01 --end 2001-01-02)

cp "$DATA/ionex/jpl-2000-2001/jplg0010.01i.Z" map.Z
cp "$DATA/indices/SW-All.txt" sw.txt
echo "machine example.org login someone password secret" >netrc
expect 0 -- archive -q --ionex map.Z --out gim.h5
snapshot map.Z sw.txt netrc gim.h5

# Downloads (gim, indices): --out must be a directory of their own.
expect 2 "--out map.Z" "found a file" -- fetch gim "${day[@]}" --out map.Z "${nowhere[@]}"
expect 2 "--out gim.h5" "found a file" "--archive" -- fetch gim "${day[@]}" --out gim.h5 \
  "${nowhere[@]}"
expect 2 "--out sw.txt" "found a file" -- fetch indices "${span[@]}" --out sw.txt "${nowhere[@]}"
expect 2 "--out gim.h5" "is also an input" -- fetch gim "${day[@]}" --out gim.h5 \
  --archive gim.h5 "${nowhere[@]}"
expect 2 "--archive new.h5" "is also --out" -- fetch gim "${day[@]}" --out new.h5 \
  --archive new.h5 "${nowhere[@]}"
absent new.h5
expect 2 "--out netrc" "is also an input" -- fetch indices "${span[@]}" --out netrc \
  --netrc netrc "${nowhere[@]}"
unchanged map.Z sw.txt netrc gim.h5

# A scan run, a directory inside it, a batch root of runs.
event=(--event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --radius 800 --days-before 20)
expect 0 -- ingest --ionex "$DATA/ionex/jpl-2000-2001" --indices sw.txt "${event[@]}" --out cube.h5
expect 0 -- scan --cube cube.h5 --models median-iqr -q --out run
mkdir batch
cp -r run batch/ev1
snapshot run/scan.h5 run/summary.json
expect 2 "--out run" "is a scan run" -- fetch gim "${day[@]}" --out run "${nowhere[@]}"
expect 2 "--out run/gim" "lies inside a scan run" -- fetch gim "${day[@]}" --out run/gim \
  "${nowhere[@]}"
expect 2 "--out batch" "batch root" -- fetch indices "${span[@]}" --out batch "${nowhere[@]}"
absent run/.fetch run/gim batch/.fetch
expect 2 "run/scan.h5" -- fetch gim "${day[@]}" --out gim2 --archive run/scan.h5 \
  "${nowhere[@]}"
absent gim2
unchanged run/scan.h5 run/summary.json

# The catalogue replaces only an earlier catalogue.
for file in map.Z gim.h5 sw.txt run/summary.json; do
  expect 2 "--out $file" "not a ComCat catalogue" -- fetch catalog "${span[@]}" --out "$file" \
    "${nowhere[@]}"
done
expect 2 "--out netrc" "is also an input" -- fetch catalog "${span[@]}" --out netrc \
  --netrc netrc "${nowhere[@]}"
expect 2 "--out batch" "found a directory" -- fetch catalog "${span[@]}" --out batch \
  "${nowhere[@]}"
expect 2 "--out run/m6.csv" "lies inside a scan run" -- fetch catalog "${span[@]}" \
  --out run/m6.csv "${nowhere[@]}"
absent run/m6.csv
unchanged map.Z sw.txt netrc gim.h5 run/scan.h5 run/summary.json
