# archive --out naming one of its own inputs is refused; the input keeps its bytes.
mkdir in
cp "$DATA/ionex/jpl-2000-2001/jplg3400.00i.Z" in/
snapshot in/jplg3400.00i.Z
expect 2 "--out" -- archive --ionex in --out in/jplg3400.00i.Z
unchanged in/jplg3400.00i.Z
