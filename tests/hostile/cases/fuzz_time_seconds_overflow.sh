# Fuzz finding: a 47-digit second in a catalogue time overflowed while its error was written.
printf 'time,latitude,longitude,depth,mag,id\n2001-01-13T17:33:77777777777777777777777777777777777777777777777Z,13.0,-88.6,60,7.7,a\n' >events.csv
expect 2 "events.csv:2" "second 7.77778e+46" -- catalog --catalog events.csv
