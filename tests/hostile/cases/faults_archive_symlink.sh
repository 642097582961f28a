# archive --out through a symbolic link: the append goes into the link's target and the link
# stays a link (a rename onto the link would replace it and leave the real archive old).
mkdir real
expect 0 -- archive -q --ionex "$DATA/ionex/jpl-2000-2001/jplg0010.01i.Z" --out real/gim.h5
ln -s real/gim.h5 link.h5
expect 0 -- archive -q --ionex "$DATA/ionex/jpl-2000-2001/jplg0020.01i.Z" --out link.h5
[ -L link.h5 ] || fail "link.h5 was replaced by a regular file"
expect 0 "2001-01-02" -- archive --info real/gim.h5 --list
absent real/gim.h5.tmp.* link.h5.tmp.*
