#!/usr/bin/env bash
# How co-simulation cost grows: wall time and peak memory of `bmru cosim` against the state width N (4, 8, 16,
# 32, 64; 13 inputs → dense relu N → bmru N → dense identity 2, seeded random weights in the range of
# `bmru power`'s recipe, written with the python/ exporter) at 20 frames, and against the number of frames
# (25, 50, 100, 200) at N = 8; prints the fitted exponents (least squares of log time on log N / log frames).
# SCALING_WIDTHS / SCALING_FRAMES override the lists. Takes about 12 minutes on 2 cores (N = 64 alone about 9).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="${BMRU_BIN:-$root/.build/release/bmru}"
widths="${SCALING_WIDTHS:-4 8 16 32 64}"
frames_list="${SCALING_FRAMES:-25 50 100 200}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export PYTHONPATH="$root/python" PYTHONDONTWRITEBYTECODE=1
net() {  # net WIDTH FILE
  python3 - "$1" "$2" <<'PY'
import sys, numpy as np
import analog_bmru as ab
n, path = int(sys.argv[1]), sys.argv[2]
g = np.random.default_rng(1000 + n)
s = 1 / np.sqrt(n)
hi = g.uniform(0.5, 0.9, n)
net = ab.Network([
    ab.Dense("pre", g.uniform(-0.6, 0.9, (n, 13)), g.uniform(0, 0.2, n)),
    ab.BMRU("cell", g.uniform(-1, 1, (n, n)) * 2 * s, np.zeros(n), theta_low=hi - g.uniform(0.2, 0.4, n), theta_high=hi,
            level=g.uniform(0.5, 1, n)),
    ab.Dense("out", g.uniform(-1, 1, (2, n)) * s, np.zeros(2), activation="identity"),
], inputs=13, name=f"scaling-w{n}")
ab.export(net, path)
PY
}
run() {  # run NET STIM -> "seconds peak_kb"
  /usr/bin/time -f "%e %M" -o "$dir/time" "$bmru" cosim "$1" --input "$2" --out "$dir/r" --quiet > /dev/null 2>&1 || true
  tail -1 "$dir/time"
}
"$bmru" stimulus --inputs 13 --frames 20 --seed 1 --out "$dir/s20.csv" > /dev/null
: > "$dir/widths"
for n in $widths; do
  net "$n" "$dir/w$n.json"
  read -r t m < <(run "$dir/w$n.json" "$dir/s20.csv")
  echo "scaling: N = $n, 20 frames: $t s, peak $((m / 1024)) MiB"
  echo "$n $t $m" >> "$dir/widths"
done
net 8 "$dir/w8.json"
: > "$dir/frames"
for f in $frames_list; do
  "$bmru" stimulus --inputs 13 --frames "$f" --seed 1 --out "$dir/f$f.csv" > /dev/null
  read -r t m < <(run "$dir/w8.json" "$dir/f$f.csv")
  echo "scaling: N = 8, $f frames: $t s, peak $((m / 1024)) MiB"
  echo "$f $t $m" >> "$dir/frames"
done
python3 - "$dir/widths" "$dir/frames" <<'PY'
import sys, numpy as np
for label, path in (("state width N", sys.argv[1]), ("frames", sys.argv[2])):
    d = np.loadtxt(path, ndmin=2)
    x, t, m = np.log(d[:, 0]), np.log(d[:, 1]), np.log(d[:, 2])
    print(f"scaling: time ∝ {label}^{np.polyfit(x, t, 1)[0]:.2f}, peak memory ∝ {label}^{np.polyfit(x, m, 1)[0]:.2f}"
          f" (over {int(d[0, 0])}..{int(d[-1, 0])})")
PY
