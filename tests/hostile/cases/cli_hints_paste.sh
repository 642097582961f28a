# Every command line a message suggests runs when pasted.
cp "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" events.csv
expect 2 "no event with id 'nope'" -- ingest --ionex "$DATA/ionex/jpl-2000-2001" \
  --catalog events.csv --event-id nope --out cube.h5
hint=$(grep -o '`tecscan [^`]*`' <<<"$OUT" | tr -d '`')
[ -n "$hint" ] || fail "no pasteable hint in: $OUT"
read -r -a words <<<"${hint#tecscan }"
expect 0 "usp000a7m5" -- "${words[@]}"
