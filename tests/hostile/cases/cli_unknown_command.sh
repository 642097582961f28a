# An unknown command is named, with the list of commands; no command at all likewise.
expect 2 "tecscan: error:" "unknown command 'frobnicate'" "catalog" "ingest" "scan" "merge" -- \
  frobnicate --out x
expect 2 "tecscan: error:" "no command given" "catalog" "merge" --
# A parse error is in the contract's shape and its hint works when pasted.
expect 2 "tecscan: error:" "--gpu-node-chunk" "tecscan scan --help" -- scan --gpu-node-chunk abc --out run
absent run
hint=$(grep -o "tecscan scan --help" <<<"$OUT" | head -n 1)
read -r -a words <<<"${hint#tecscan }"
expect 0 "--epochs" -- "${words[@]}"
