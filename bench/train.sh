#!/usr/bin/env bash
# Keyword-spotter training speed and accuracy (issue 8). Synthesises the espeak-ng dataset once into
# out/kws-data (or $KWS_DATA; synthesis time is printed but is not part of the target), then:
#  1. the same 300 training steps on one core (--serial) and on all cores: prints the speed-up ratio and
#     checks both runs wrote byte-identical networks (determinism does not depend on threads);
#  2. training the state-4 model from scratch, features included, with the recipe of `make kws` and
#     examples/kws-yes.json ($KWS_TRAIN_OPTS, default: dense width 8, EMA 0.99, hard negatives, 3 restarts
#     selected by validation): prints the time (target < 600 s on 2 cores) and the test accuracy on unseen voices
#     (target >= 0.95). KWS_BENCH_STATE8=1 adds state 8.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BMRU_BIN:-.build/release/bmru}
if [ ! -x "$BIN" ]; then echo "bench/train.sh: $BIN not found (run: make build)" >&2; exit 1; fi
DATA=${KWS_DATA:-out/kws-data}
PER_WORD=${KWS_PER_WORD:-1000}
read -r -a OPTS <<< "${KWS_TRAIN_OPTS:---width 8 --ema 0.99 --restarts 3 --hard-negatives}"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
mkdir -p "$(dirname "$DATA")"
if [ ! -f "$DATA/testing_list.txt" ]; then
  t0=$(now); "$BIN" kws synth --out "$DATA" --per-word "$PER_WORD" --seed 1 2> "$DATA.synth.log" || { cat "$DATA.synth.log" >&2; exit 1; }; t1=$(now)
  awk -v t="$(elapsed "$t0" "$t1")" -v n="$PER_WORD" 'BEGIN { printf "kws synth: %d clips per word + silence in %.1f s (not part of the training target)\n", n, t }'
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
t0=$(now); "$BIN" train --data "$DATA" --state 4 --steps 300 --eval-every 300 --serial -o "$dir/serial.json" 2> /dev/null > /dev/null; t1=$(now)
"$BIN" train --data "$DATA" --state 4 --steps 300 --eval-every 300 -o "$dir/parallel.json" 2> /dev/null > /dev/null; t2=$(now)
cmp -s "$dir/serial.json" "$dir/parallel.json" || { echo "bench/train.sh: serial and parallel training differ" >&2; exit 1; }
awk -v s="$(elapsed "$t0" "$t1")" -v p="$(elapsed "$t1" "$t2")" -v c="$(nproc)" 'BEGIN {
  printf "kws train 300 steps incl. features: one core %.1f s, %d cores %.1f s: speed-up %.2f (identical networks)\n", s, c, p, s / p }'
for state in 4 ${KWS_BENCH_STATE8:+8}; do
  t0=$(now); "$BIN" train --data "$DATA" --state "$state" "${OPTS[@]}" -o "$dir/net$state.json" 2> "$dir/train$state.log" > "$dir/out$state.txt"; t1=$(now)
  acc=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$dir/out$state.txt")
  awk -v t="$(elapsed "$t0" "$t1")" -v a="$acc" -v s="$state" -v o="${OPTS[*]}" 'BEGIN {
    printf "kws train state %d (%s) from scratch incl. features: %.1f s (target < 600 s), test accuracy %.4f on unseen voices (target >= 0.95)\n", s, o, t, a }'
done
