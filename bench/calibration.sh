#!/usr/bin/env bash
# Calibration: dense-layer RMS relative current error against SPICE, uncalibrated (--no-calibration) vs
# calibrated (models/calibration/<corner>.json), per corner that has a calibration file; and the speed of the
# circuit-aware model against the SPICE run of the same 100-frame clip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="${BMRU_BIN:-$root/.build/release/bmru}"
net="${BENCH_NET:-$root/examples/kws-shape.json}"; stim="${BENCH_STIM:-$root/examples/kws-shape-random.csv}"
corners="${BENCH_CORNERS:-typical ff ss fs sf}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
summarise() {
python3 - "$@" <<'PY'
import json, sys
corner, unc, cal = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
rows = []
for name, l in sorted(cal["layers"].items()):
    if l["kind"].startswith("dense"):
        u = unc["layers"][name]["rms_rel_error"]; c = l["rms_rel_error"]
        rows.append((name, u, c))
for name, u, c in rows:
    print(f"  {corner:8s} {name:10s} rms rel error: uncalibrated {100*u:6.2f} %  calibrated {100*c:6.2f} %")
if rows:
    import math
    U = math.sqrt(sum(u*u for _, u, _ in rows)/len(rows)); C = math.sqrt(sum(c*c for _, _, c in rows)/len(rows))
    print(f"  {corner:8s} all dense layers (rms over layers): uncalibrated {100*U:.2f} %, calibrated {100*C:.2f} %, ratio {U/max(C,1e-12):.1f}x")
print(f"  {corner:8s} state agreement: uncalibrated {unc['state_agreement']:.4f}, calibrated {cal['state_agreement']:.4f}")
PY
}
echo "calibration bench: $(basename "$net"), $(($(wc -l < "$stim") - 1)) frames"
for c in $corners; do
    f="$root/models/calibration/$c.json"
    [ -f "$f" ] || { echo "  $c: no calibration file (make calibrate)"; continue; }
    "$bmru" cosim "$net" --input "$stim" --out "$dir/$c-unc" --corner "$c" --no-calibration --quiet > /dev/null 2>&1 || true
    "$bmru" cosim "$net" --input "$stim" --out "$dir/$c-cal" --corner "$c" --calibration "$f" --quiet > /dev/null 2>&1 || true
    if [ -f "$dir/$c-unc/report.json" ] && [ -f "$dir/$c-cal/report.json" ]; then
        summarise "$c" "$dir/$c-unc/report.json" "$dir/$c-cal/report.json"
    else
        echo "  $c: co-simulation failed"
    fi
done
# speed: circuit-aware model (in-process, best of many runs) against the SPICE part of the calibrated typical run
head -n 101 "$stim" > "$dir/clip.csv"
"$bmru" cosim "$net" --input "$dir/clip.csv" --out "$dir/speed" --quiet > /dev/null 2>&1 || true
model=$("$bmru" model "$net" --input "$dir/clip.csv" -o "$dir/ca.csv" --circuit-aware --time-repeats 200 | sed -n 's/^circuit_aware_seconds_per_run=\([^ ]*\).*/\1/p')
python3 - "$dir/speed/report.json" "$model" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["timing"]; m = float(sys.argv[2])
spice = t["deck_load_s"] + t["analysis_s"]
print(f"  circuit-aware model {m*1e6:.1f} us per 100-frame clip; SPICE {spice:.2f} s (load {t['deck_load_s']:.2f} s + transient {t['analysis_s']:.2f} s)")
print(f"  SPICE / circuit-aware model time ratio = {spice/m:.3g}")
PY
