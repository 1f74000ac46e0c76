#!/usr/bin/env bash
# Regenerate the decks of the shipped example networks into netlists/ (typical corner, 1.8 V, 27 °C).
# Model paths in the decks point at models/gf180mcu through BMRU_MODELS as given to `make`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="$root/.build/release/bmru"
mkdir -p "$root/netlists"
for net in "$root"/examples/*.json; do
  name=$(basename "$net" .json)
  case "$name" in batch*|*manifest*) continue ;; esac
  "$bmru" validate "$net" > /dev/null 2>&1 || continue
  stim=""
  for cand in "$root/examples/$name-1.csv" "$root/examples/$name-random.csv"; do
    [ -f "$cand" ] && { stim="$cand"; break; }
  done
  if [ -n "$stim" ]; then
    "$bmru" netlist "$net" --input "$stim" -o "$root/netlists/$name.sp"
  else
    "$bmru" netlist "$net" -o "$root/netlists/$name.sp"
  fi
done
