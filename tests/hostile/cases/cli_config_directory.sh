# A directory given as --config is refused ("not a file"), never read as an empty config.
mkdir conf.toml
expect 2 "conf.toml" "not a file" -- scan --cube missing.h5 --config conf.toml --out run
absent run
