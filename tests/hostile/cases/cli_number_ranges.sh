# Every numeric option and config value out of its range is refused before any work, naming
# the option (or key) and the allowed range; NaN and infinity never pass. The cube does not
# exist: each value must be refused before it is read.
scan=(scan --cube missing.h5 --out run)
expect 2 "--epochs" "[1, 100000]" -- "${scan[@]}" --epochs -1
expect 2 "--epochs" "[1, 100000]" -- "${scan[@]}" --epochs 0
expect 2 "--epochs" "[1, 100000]" -- "${scan[@]}" --epochs 1000000000
expect 2 "--threads" "[0, 4096]" -- "${scan[@]}" --threads -3
expect 2 "--seed" "an integer >= 0" -- "${scan[@]}" --seed -5
expect 2 "--models" "empty" -- "${scan[@]}" --models ''
expect 2 "--gpu-node-chunk" -- "${scan[@]}" --gpu-node-chunk -1
expect 2 "--events-per-task" "[1, 100000]" -- "${scan[@]}" --events-per-task 0
expect 2 "--events-per-task" "[1, 100000]" -- "${scan[@]}" --events-per-task 100001
expect 2 "--days-before" "[0, 3650]" -- "${scan[@]}" --days-before nan
expect 2 "--days-after" "[0, 3650]" -- "${scan[@]}" --days-after inf
expect 2 "--radius" "(0, 20016]" -- "${scan[@]}" --radius nan
expect 2 "--radius" "(0, 20016]" -- "${scan[@]}" --radius -5
expect 2 "--min-mag" "[-2, 10]" -- "${scan[@]}" --min-mag nan
absent run
ingest=(ingest --ionex "$DATA/ionex/jpl-2000-2001" --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7
  --out cube.h5)
expect 2 "--days-before" "[0, 3650]" -- "${ingest[@]}" --days-before nan
expect 2 "--days-before" "[0, 3650]" -- "${ingest[@]}" --days-before -3
absent cube.h5
expect 2 "--min-mag" "[-2, 10]" -- catalog --catalog "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" \
  --min-mag inf

# The same ranges for the config file and --set.
printf '[train]\nepochs = 1000000000\n' >big.toml
expect 2 "big.toml:2" "train.epochs" "[1, 100000]" -- "${scan[@]}" --config big.toml
expect 2 "model.lstm_units" "[1, 10000]" -- "${scan[@]}" --set model.lstm_units=100000000
expect 2 "significance.window_days" -- "${scan[@]}" --set significance.window_days=nan
expect 2 "inject.duration_hours" -- "${scan[@]}" --set inject.duration_hours=inf
absent run

# merge: NaN and infinity are not positive numbers of days.
mkdir runs
expect 2 "--window-days" "(0, 3650]" -- merge runs --out stats --window-days nan
expect 2 "--exclude-days" "[0, 3650]" -- merge runs --out stats --exclude-days inf
expect 2 "--days-before" "[0, 3650]" -- merge runs --out stats --days-before nan
expect 2 "--controls" "[1, 100000]" -- merge runs --out stats --controls 1000000000
expect 2 "--seed" -- merge runs --out stats --seed -1
absent stats
