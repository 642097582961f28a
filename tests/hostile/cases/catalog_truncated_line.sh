# A catalogue cut inside a quoted place name (a truncated download): exit 2, the file, the line
# and the unterminated quote.
head -n 4 "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" >events.csv
sed -i '4s/\("[^",]*\).*/\1/' events.csv
expect 2 "events.csv:4" "unterminated quote" -- catalog --catalog events.csv
