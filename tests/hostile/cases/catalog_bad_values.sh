# Values a catalogue must not hold: a latitude outside [-90, 90], a fill-like longitude 999.9, a
# magnitude that is not a number, a row without an id. Exit 2, the line, the column, the value.
head -n 4 "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" >lat.csv
sed -i '3s/^\([^,]*\),[^,]*,/\1,91.5,/' lat.csv
expect 2 "lat.csv:3" "column 'latitude'" "[-90, 90]" "91.5" -- catalog --catalog lat.csv
head -n 4 "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" >lon.csv
sed -i '2s/^\([^,]*,[^,]*\),[^,]*,/\1,999.9,/' lon.csv
expect 2 "lon.csv:2" "column 'longitude'" "999.9" -- catalog --catalog lon.csv
head -n 4 "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" >mag.csv
sed -i '4s/^\(\([^,]*,\)\{4\}\)[^,]*,/\1M4.5,/' mag.csv
expect 2 "mag.csv:4" "column 'mag'" "M4.5" -- catalog --catalog mag.csv
head -n 4 "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" >id.csv
sed -i '2s/^\(\([^,]*,\)\{11\}\)[^,]*,/\1,/' id.csv
expect 2 "id.csv:2" "column 'id'" -- catalog --catalog id.csv
