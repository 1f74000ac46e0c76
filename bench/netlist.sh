#!/usr/bin/env bash
# Netlist emission speed: a 256 -> 256 dense layer (65 536 weights, all sizes, some zero / too small).
# Prints the in-process emission time (target: under 1 s) and the end-to-end `bmru netlist` time against
# `bmru validate` of the same file in the same run (reading + validating the JSON is the baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BMRU_BIN:-.build/release/bmru}
if [ ! -x "$BIN" ]; then echo "bench/netlist.sh: $BIN not found (run: make build)" >&2; exit 1; fi
MODELS=${BMRU_MODELS:-models/gf180mcu}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# deterministic weights in [-2, 2) from a linear congruential generator (awk, no python needed)
awk 'BEGIN {
  n = 256; s = 12345
  printf "{\"format\": \"bmru-network\", \"version\": 1, \"name\": \"bench256\", \"unit_current\": 1e-9,\n"
  printf " \"frame_period\": 0.01, \"inputs\": %d, \"layers\": [{\"name\": \"d\", \"kind\": \"dense\", \"weights\": [", n
  for (j = 0; j < n; j++) {
    printf "%s[", (j ? "," : "")
    for (i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648; w = s / 2147483648 * 4 - 2
      if (s % 17 == 0) w = 0
      printf "%s%.4f", (i ? "," : ""), w
    }
    printf "]"
  }
  printf "], \"bias\": ["
  for (j = 0; j < n; j++) printf "%s%.3f", (j ? "," : ""), (j % 7) / 10 - 0.3
  printf "]}]}\n"
}' > "$dir/net.json"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
t0=$(now); "$BIN" validate "$dir/net.json" > /dev/null; t1=$(now)
"$BIN" netlist "$dir/net.json" -o "$dir/deck.sp" --models "$MODELS" --bench-repeats 3 > "$dir/emit.txt" 2> /dev/null
t2=$(now); "$BIN" netlist "$dir/net.json" -o "$dir/deck.sp" --models "$MODELS" 2> /dev/null; t3=$(now)
emit=$(sed -n 's/.*emit_seconds=\([^ ]*\).*/\1/p' "$dir/emit.txt")
bytes=$(sed -n 's/.*deck_bytes=\([^ ]*\).*/\1/p' "$dir/emit.txt")
awk -v e="$emit" -v b="$bytes" -v v="$(elapsed "$t0" "$t1")" -v n="$(elapsed "$t2" "$t3")" 'BEGIN {
  printf "netlist 256->256: emission in-process %.3f s (deck %.1f MB; target < 1 s)\n", e, b / 1e6
  printf "netlist 256->256: bmru netlist %.3f s end to end vs bmru validate %.3f s: ratio %.2f\n", n, v, n / v
  if (e >= 1) { print "netlist bench: emission slower than 1 s" > "/dev/stderr"; exit 1 } }'
