# plot's numeric options state their ranges (checked before the run directory is read).
mkdir run
expect 2 "--dpi" "[10, 2400]" -- plot run --dpi -5
expect 2 "--dpi" -- plot run --dpi nan
expect 2 "--consensus-min" "[0, 100]" -- plot run --consensus-min -1
