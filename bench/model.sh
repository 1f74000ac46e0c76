#!/usr/bin/env bash
# Ideal-model speed: 64 inputs -> dense 128 -> bmru 128 -> dense 10 (identity), 10 000 frames.
# Prints frames·units per second; with python3 + numpy, also times a plain numpy loop of the same model
# in the same run and prints the ratio (aim: >= 5x numpy).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BMRU_BIN:-.build/release/bmru}
if [ ! -x "$BIN" ]; then echo "bench/model.sh: $BIN not found (run: make build)" >&2; exit 1; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$BIN" model --bench-dir "$dir" --bench-repeats 5 > "$dir/swift.txt"
get() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "$2" | head -1; }
swift_s=$(get seconds "$dir/swift.txt")
swift_trace_s=$(get seconds_with_trace "$dir/swift.txt")
fups=$(get frames_units_per_second "$dir/swift.txt")
kernel=$(get kernel "$dir/swift.txt"); cores=$(get cores "$dir/swift.txt")
printf 'model (Swift, ideal): 10000 frames x 266 units in %.4f s = %.3g frames·units/s (%.4f s incl. building the per-frame trace; %s kernel, %s cores)\n' \
    "$swift_s" "$fups" "$swift_trace_s" "$kernel" "$cores"
"$BIN" model --bench-dir "$dir" --bench-repeats 3 --bench-kernel generic > "$dir/generic.txt"
printf '                      (%.4f s with the portable generic kernel instead)\n' "$(get seconds "$dir/generic.txt")"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import numpy' >/dev/null 2>&1; then
    python3 bench/model_numpy.py "$dir" > "$dir/numpy.txt"
    np_s=$(get seconds "$dir/numpy.txt")
    diff=$(get max_abs_diff "$dir/numpy.txt")
    awk -v n="$np_s" -v s="$swift_s" -v st="$swift_trace_s" -v d="$diff" 'BEGIN {
        printf "model (numpy loop):   %.4f s = %.3g frames·units/s; outputs agree with Swift to %.2g\n", n, 2660000 / n, d
        printf "ratio Swift/numpy: %.1fx faster (%.1fx incl. trace)   (aim: >= 5x)\n", n / s, n / st
        if (d > 1e-9) { print "model bench: Swift and numpy outputs DISAGREE" > "/dev/stderr"; exit 1 } }'
else
    echo "numpy: python3 with numpy not available, no comparison"
fi
