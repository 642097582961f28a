# Files of another kind given as --catalog (an OMNI2 index file, a compressed IONEX map, an empty
# file): exit 2, the file named, the ComCat columns expected.
head -n 3 "$DATA/indices/omni2_2017.dat" >omni2.dat
expect 2 "omni2.dat:1" "missing column 'time'" "USGS ComCat CSV" -- catalog --catalog omni2.dat
cp "$DATA/ionex/jpl-2000-2001/jplg0130.01i.Z" map.Z
expect 2 "map.Z" "ComCat" -- catalog --catalog map.Z
: >empty.csv
expect 2 "empty.csv" "empty file" "ComCat CSV header" -- catalog --catalog empty.csv
