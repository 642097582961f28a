# A killed append leaves "<archive>.tmp.<pid>" as large as the archive: the next append of the
# same archive removes it (its process is gone); a live process's temp file stays.
expect 0 -- archive -q --ionex "$DATA/ionex/jpl-2000-2001/jplg0010.01i.Z" --out gim.h5
dead=$(bash -c 'echo $$')
cp gim.h5 "gim.h5.tmp.$dead"
sleep 30 &
alive=$!
cp gim.h5 "gim.h5.tmp.$alive"
expect 0 -- archive -q --ionex "$DATA/ionex/jpl-2000-2001/jplg0020.01i.Z" --out gim.h5
kill "$alive"
[ ! -e "gim.h5.tmp.$dead" ] || fail "the stale temp file gim.h5.tmp.$dead was left"
[ -e "gim.h5.tmp.$alive" ] || fail "the temp file of a live process was removed"
rm -f "gim.h5.tmp.$alive"
