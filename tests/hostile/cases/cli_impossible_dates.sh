# A date that does not exist is refused, naming the option and the day (never normalised to
# the next month).
expect 2 "--event time" "2001-02-30" "day 30 is not in February 2001" -- ingest \
  --ionex "$DATA/ionex/jpl-2000-2001" --event 2001-02-30T12:00:00Z,13.049,-88.660,7.7 --out cube.h5
absent cube.h5
expect 2 "--start" "day 29 is not in February 2001" -- catalog \
  --catalog "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" --start 2001-02-29
expect 2 "--end" "day 31 is not in April 2017" -- indices \
  --indices "$DATA/indices/omni2_2017.dat" --start 2017-04-01 --end 2017-04-31
expect 2 "--start" "hour 24" -- indices --indices "$DATA/indices/omni2_2017.dat" \
  --start 2017-04-01T24:00 --end 2017-04-05
expect 2 "--start" "second 60" -- indices --indices "$DATA/indices/omni2_2017.dat" \
  --start 2017-04-01T12:59:60 --end 2017-04-05
# A leap day that exists is fine.
expect 0 -- catalog --catalog "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" \
  --start 2000-02-29 --count
