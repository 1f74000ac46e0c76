#!/usr/bin/env bash
# Where co-simulation time goes: ngspice (deck load + transient) against the behavioural model and the rest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="${BMRU_BIN:-$root/.build/release/bmru}"
net="$root/examples/kws-yes.json"; stim="$root/examples/kws-yes-1.csv"
[ -f "$net" ] && [ -f "$stim" ] || { net="$root/examples/kws-shape.json"; stim="$root/examples/kws-shape-random.csv"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bmru" cosim "$net" --input "$stim" --out "$dir" --quiet > /dev/null 2>&1 || true
python3 - "$dir/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timing"]
spice = t["deck_load_s"] + t["analysis_s"]
print(f"cosim: {r['network']['name']}, {r['frames']} frames, {r['units']} bmru units")
print(f"  total {t['total_s']:.2f} s: ngspice {spice:.2f} s ({100*spice/t['total_s']:.1f} %: load {t['deck_load_s']:.2f} s, transient {t['analysis_s']:.2f} s), model {t['model_s']*1000:.2f} ms")
print(f"  ngspice share = {spice/t['total_s']:.3f}; SPICE / model time ratio = {spice/max(t['model_s'],1e-9):.0f}")
PY
