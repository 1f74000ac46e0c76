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
frames="${BENCH_FRAMES:-20}"
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

now() { date +%s.%N; }
t0=$(now)
"$bmru" batch "$dir/bench.json" --out "$dir/w1" --jobs 1 --quiet > /dev/null 2> "$dir/w1.log"
t1=$(now)
"$bmru" batch "$dir/bench.json" --out "$dir/w2" --jobs 2 --quiet > /dev/null 2> "$dir/w2.log"
t2=$(now)

# the same decks through the ngspice command line, one process per job (one OpenMP thread, like the workers)
mkdir -p "$dir/home" "$dir/cli" && echo "set num_threads=1" > "$dir/home/.spiceinit"
for d in "$dir"/w1/jobs/*/; do
    id=$(basename "$d"); mkdir -p "$dir/cli/$id"; cp "$d/deck.sp" "$dir/cli/$id/"
done
run_one() { cd "$1" && HOME="$2" ngspice -b deck.sp > out.log 2>&1; }
export -f run_one
t3=$(now)
for d in "$dir"/cli/*/; do run_one "$d" "$dir/home"; done
t4=$(now)
ls -d "$dir"/cli/*/ | xargs -P 2 -I{} bash -c 'run_one "$1" "$2"' _ {} "$dir/home"
t5=$(now)
ok=$(ls "$dir"/cli/*/deck.raw 2> /dev/null | wc -l)

python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$jobs" "$ok" "$dir/w1/jobs" <<'PY'
import json, os, sys
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[1:7]); n = int(sys.argv[7]); ok = int(sys.argv[8]); jd = sys.argv[9]
load = ana = tot = 0.0
for d in os.listdir(jd):
    t = json.load(open(os.path.join(jd, d, "result.json")))["report"]["timing"]
    load += t["deck_load_s"]; ana += t["analysis_s"]; tot += t["total_s"]
w1, w2, c1, c2 = n / (t1 - t0), n / (t2 - t1), n / (t4 - t3), n / (t5 - t4)
print(f"batch: {n} jobs of a 13-4-[4-4]x2-2 network, {os.environ.get('BENCH_FRAMES', '20')} frames each (ngspice -b finished {ok}/{n})")
print(f"  per job in the worker: deck load {1000*load/n:.0f} ms, analysis {1000*ana/n:.0f} ms, co-simulation total {1000*tot/n:.0f} ms")
print(f"  bmru batch --jobs 1   {w1:7.2f} jobs/s")
print(f"  bmru batch --jobs 2   {w2:7.2f} jobs/s   ratio 2 workers / 1 worker = {w2/w1:.2f}  (target >= 1.8)")
print(f"  ngspice -b per job    {c1:7.2f} jobs/s   ratio batch / CLI (1 at a time) = {w1/c1:.2f}")
print(f"  ngspice -b, 2 at once {c2:7.2f} jobs/s   ratio batch / CLI (2 at a time) = {w2/c2:.2f}")
PY
