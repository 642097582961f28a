# fetch: requests that cannot be right are refused before any download (exit 2, the option
# named), and nothing is written: an unknown provider, --end before --start, a rapid product
# from CODE's archive, a region that is not four numbers, a page larger than the service allows.
expect 2 "--provider" "cod, igs, jpl, esa, upc" -- fetch gim --provider xyz --start 2017-01-01 \
  --end 2017-01-02 --out gim --base-url http://127.0.0.1:9/ionex
absent gim/.fetch/manifest-*
expect 2 "--end" "2017-01-01 before 2017-01-05" -- fetch gim --provider jpl --start 2017-01-05 \
  --end 2017-01-01 --out gim --base-url http://127.0.0.1:9/ionex
expect 2 "--mirror aiub" -- fetch gim --provider cod --rapid --mirror aiub --start 2017-01-01 \
  --end 2017-01-01 --out gim --base-url http://127.0.0.1:9/CODE
expect 2 "--region" "MINLAT,MAXLAT,MINLON,MAXLON" -- fetch catalog --start 2017-01-01 \
  --end 2017-02-01 --region 25,40,44 --out m.csv --base-url http://127.0.0.1:9
absent m.csv
expect 2 "--page-size" -- fetch catalog --start 2017-01-01 --end 2017-02-01 --page-size 20001 \
  --out m.csv --base-url http://127.0.0.1:9
absent m.csv
expect 2 "--start" -- fetch indices --start 2017-13-01 --end 2017-12-31 --out idx \
  --base-url http://127.0.0.1:9
absent idx
