# A run directory whose path holds spaces, a quote and a comma: plot draws every figure and the
# report (GMT drops the spaces of a figure path it is given and wrote nothing; it reads a comma
# in a colour table's path as a list of colours).
command -v gmt >/dev/null 2>&1 || skip "gmt is not installed"
run="dir with space/it's a run, 2"
expect 0 -- scan -q --ionex "$DATA/ionex/jpl-2000-2001" \
  --indices "$DATA/indices/SW-All.txt" "$DATA/indices/dst2000.txt" \
  --event 2001-01-13T17:33:32Z,13.049,-88.66,7.7 --days-before 20 --days-after 1 \
  --config "$SRC/configs/demo.toml" --models median-iqr --set significance.window_days=5 \
  --out "$run"
expect 0 "report:" -- plot "$run" --dpi 30
for figure in significance map_median-iqr map_consensus map_sheet map_daily fig3_day_hour \
  fig2_indices fig6_series; do
  [ -s "$run/figures/$figure.png" ] || fail "$run/figures/$figure.png was not drawn"
done
[ -s "$run/report.html" ] || fail "no report.html"
absent "$run/figures/work"
