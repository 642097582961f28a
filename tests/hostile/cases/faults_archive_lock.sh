# A second writer of one archive: while another process holds the archive's lock
# (<archive>.lock, flock), an append is refused with exit 2 and the archive is untouched.
command -v flock >/dev/null || skip "no flock(1) here to hold the lock"
expect 0 -- archive -q --ionex "$DATA/ionex/jpl-2000-2001/jplg0010.01i.Z" --out gim.h5
snapshot gim.h5
exec 9>gim.h5.lock
flock -n 9 || fail "cannot take the lock for the test"
expect 2 "gim.h5" "another tecscan process" -- archive -q \
  --ionex "$DATA/ionex/jpl-2000-2001/jplg0020.01i.Z" --out gim.h5
unchanged gim.h5
exec 9>&-
expect 0 -- archive -q --ionex "$DATA/ionex/jpl-2000-2001/jplg0020.01i.Z" --out gim.h5
