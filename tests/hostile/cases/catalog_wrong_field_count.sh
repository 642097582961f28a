# A ComCat row with a field too few (a truncated line) or too many: exit 2, the file and line,
# the header's field count and the one found.
head -n 5 "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" >events.csv
sed -i '3s/,[^,]*$//' events.csv
snapshot events.csv
expect 2 "events.csv:3" "expected 22 fields like the header, found 21" -- catalog --catalog events.csv
unchanged events.csv
head -n 5 "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" >extra.csv
sed -i '4s/$/,extra/' extra.csv
expect 2 "extra.csv:4" "expected 22 fields like the header, found 23" -- catalog --catalog extra.csv
