# CelesTrak SW-All cut off inside the observed section (no END OBSERVED): exit 2, what is missing.
# A record cut before its F10.7 columns: exit 2, the file, the line and the column reached.
sed -n '1,20p' "$DATA/indices/SW-All.txt" >sw.txt
expect 2 "sw.txt:20" "'END OBSERVED' before the end" -- \
  indices --indices sw.txt --start 1957-10-01 --end 1957-10-02
sed -n '1,20p' "$DATA/indices/SW-All.txt" >cut.txt
sed -i '19s/^\(.\{100\}\).*/\1/' cut.txt
echo "END OBSERVED" >>cut.txt
expect 2 "cut.txt:19" "reaching column 118" "found 100 columns" -- \
  indices --indices cut.txt --start 1957-10-01 --end 1957-10-02
