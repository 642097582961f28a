# Events at the North Pole and next to the South Pole on the dateline: each anomaly map is a
# square azimuthal map about the epicentre (the region used to collapse to a thin strip at one
# latitude, GMT -R-90/61.51/90/61.51+r).
command -v gmt >/dev/null 2>&1 || skip "gmt is not installed"
# Width and height of a PNG from its IHDR chunk.
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'; }
for event in 90,0 -89,-179.9; do
  run="run_${event//,/_}"
  expect 0 -- scan -q --ionex "$DATA/ionex/jpl-2000-2001" \
    --indices "$DATA/indices/SW-All.txt" "$DATA/indices/dst2000.txt" \
    --event "2001-01-13T17:33:32Z,$event,7.7" --days-before 20 --days-after 1 \
    --config "$SRC/configs/demo.toml" --models median-iqr --set significance.window_days=5 \
    --out "$run"
  expect 0 "map_consensus.png" -- plot "$run" --model consensus --dpi 40
  read -r width height < <(png_size "$run/figures/map_consensus.png")
  echo "map_consensus.png of $event: $width x $height"
  # A 14 cm square map with its title and colour bar: taller than wide, never a strip.
  [ "$width" -ge 200 ] && [ "$height" -ge "$width" ] ||
    fail "map_consensus.png of the event at $event is $width x $height pixels, not a square map"
done
