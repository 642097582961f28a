# The archive applies ingest's one-file-per-day rule: an identical copy (compressed and plain) is
# read once; a different file for the same day is refused naming both.
mkdir a b c
cp "$DATA/ionex/jpl-2000-2001/jplg3400.00i.Z" "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" a/
gzip -dc "$DATA/ionex/jpl-2000-2001/jplg3410.00i.Z" >b/jplg3410.00i
expect 0 -- archive --ionex a b --out same.h5 -q
cp b/jplg3410.00i c/other3410.00i
sed -i '63s/^.\{5\}/  123/' c/other3410.00i  # one value of the first map changed
expect 2 "a/jplg3410.00i.Z" "c/other3410.00i" "same UTC day" -- archive --ionex a c --out diff.h5
absent diff.h5
