# plot refuses a directory that does not hold one complete run, as merge skips it: no
# summary.json (an interrupted scan), or a scan.h5 of another event or another configuration
# than summary.json and config.used.toml. Nothing is drawn. (No GMT needed: refused before.)
scan_event() {  # scan_event OUT EVENT [ARGS...]
  local out=$1 event=$2
  shift 2
  expect 0 -- scan -q --ionex "$DATA/ionex/jpl-2000-2001" \
    --indices "$DATA/indices/SW-All.txt" "$DATA/indices/dst2000.txt" \
    --event "2001-01-13T17:33:32Z,$event,7.7" --days-before 20 --days-after 1 \
    --config "$SRC/configs/demo.toml" --models median-iqr --set significance.window_days=5 \
    --out "$out" "$@"
}
scan_event a 13.049,-88.66
scan_event b 35,45
scan_event c 13.049,-88.66 --set detect.false_alarm_rate=0.02

cp -r a interrupted
rm interrupted/summary.json
expect 2 "interrupted/summary.json" "incomplete run" -- plot interrupted
absent interrupted/figures interrupted/report.html

cp -r a other_event
cp b/scan.h5 other_event/scan.h5
expect 2 "other_event/summary.json" "two runs" "35N 45E" -- plot other_event
absent other_event/figures other_event/report.html

cp -r a other_method
cp c/scan.h5 other_method/scan.h5
expect 2 "other_method/summary.json" "two runs" "another configuration" -- plot other_method
absent other_method/figures other_method/report.html

cp -r a no_csv
rm no_csv/anomalies.csv
expect 2 "no_csv/summary.json" "anomalies.csv" -- plot no_csv
absent no_csv/figures no_csv/report.html
