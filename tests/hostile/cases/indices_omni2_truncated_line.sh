# An OMNI2 record cut short (a truncated download): exit 2, the file and line, the word count.
head -n 5 "$DATA/indices/omni2_2017.dat" >omni2.dat
sed -i '3s/^\(.\{100\}\).*/\1/' omni2.dat
snapshot omni2.dat
expect 2 "omni2.dat:3" "55 whitespace-separated words" "found 20" -- \
  indices --indices omni2.dat --start 2017-01-01 --end 2017-01-01
unchanged omni2.dat
