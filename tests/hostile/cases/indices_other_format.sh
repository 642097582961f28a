# Files of another kind given as --indices (a ComCat catalogue, a compressed IONEX map, an empty
# file): exit 2, the file named and the supported formats listed.
cp "$DATA/catalogs/comcat_m4.5_2000-10_2001-02.csv" events.csv
expect 2 "events.csv:1" "supported format" "OMNI2" "Kyoto" -- \
  indices --indices events.csv --start 2001-01-01 --end 2001-01-02
cp "$DATA/ionex/jpl-2000-2001/jplg0130.01i.Z" map.Z
expect 2 "map.Z" "supported format" -- indices --indices map.Z --start 2001-01-01 --end 2001-01-02
: >empty.txt
expect 2 "empty.txt" "supported format" "(empty)" -- \
  indices --indices empty.txt --start 2001-01-01 --end 2001-01-02
