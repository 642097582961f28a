# Found by catalog_fuzz: a ComCat row with magnitude -1804.8 was accepted, then silently dropped
# by every selection (and a depth of 99999 km kept). A magnitude outside [-2, 10] or a depth
# outside [-10, 1000] km is refused like --event refuses it: exit 2, line, column, value, range.
head -n 4 "$DATA/catalogs/comcat_m4.5_2016-2017.csv" >mag.csv
sed -i '3s/^\(\([^,]*,\)\{4\}\)[^,]*,/\1-1804.8,/' mag.csv
expect 2 "mag.csv:3" "column 'mag'" "[-2, 10]" "-1804.8" -- catalog --catalog mag.csv
head -n 4 "$DATA/catalogs/comcat_m4.5_2016-2017.csv" >depth.csv
sed -i '2s/^\(\([^,]*,\)\{3\}\)[^,]*,/\199999,/' depth.csv
expect 2 "depth.csv:2" "column 'depth'" "[-10, 1000]" "99999" -- catalog --catalog depth.csv
# A magnitude or depth left empty is missing, not an error.
head -n 4 "$DATA/catalogs/comcat_m4.5_2016-2017.csv" >empty.csv
sed -i '2s/^\(\([^,]*,\)\{3\}\)[^,]*,[^,]*,/\1,,/' empty.csv
expect 0 -- catalog --catalog empty.csv
