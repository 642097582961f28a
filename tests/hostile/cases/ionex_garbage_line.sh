# An IONEX file with a line that is not IONEX: exit 2, the file and its line named, no cube.
mkdir in
printf '%s\n' "     1.0            IONOSPHERE MAPS     GPS                 IONEX VERSION / TYPE" \
  "this is not ionex at all" >in/broken.17i
expect 2 "broken.17i:2" -- ingest --ionex in/broken.17i --event 2017-01-01T12:00:00Z,35,45 \
  --out cube.h5
absent cube.h5
