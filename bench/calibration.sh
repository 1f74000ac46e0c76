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
# the same errors over the frames where every bmru state of the circuit equals the model's: an ambiguous pair
# whose state flips changes the next layers' inputs by a whole level, which no calibration can (or should) fix
import csv, os
def consistent(report):
    w = list(csv.DictReader(open(os.path.join(os.path.dirname(report), "waveforms.csv"))))
    sc = [k for k in w[0] if k.startswith("circuit:") and k.endswith(".state")]
    keep = [x for x in w if all(round(float(x[k])) == round(float(x[k.replace("circuit:", "model:")])) for k in sc)]
    out = {}
    for name in [n for n, _, _ in rows]:
        cc = [k for k in w[0] if k.startswith(f"circuit:{name}[") and k.endswith(".current")]
        e2 = m2 = 0.0
        for x in keep:
            for k in cc:
                c, m = float(x[k]), float(x[k.replace("circuit:", "model:")]); e2 += (c - m) ** 2; m2 += m * m
        out[name] = (e2 / max(m2, 1e-30)) ** 0.5
    return out, len(keep), len(w)
cu, nu, n = consistent(sys.argv[2]); cc, nc, _ = consistent(sys.argv[3])
for name, _, _ in rows:
    print(f"  {corner:8s} {name:10s} state-consistent frames: uncalibrated {100*cu[name]:6.2f} %  calibrated {100*cc[name]:6.2f} %")
if rows:
    U = math.sqrt(sum(v*v for v in cu.values())/len(cu)); C = math.sqrt(sum(v*v for v in cc.values())/len(cc))
    print(f"  {corner:8s} all dense layers, state-consistent frames ({nu}/{n} and {nc}/{n}): uncalibrated {100*U:.2f} %, calibrated {100*C:.2f} %")
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
# shared-sample Monte Carlo: per sample, the circuit (delvto offsets in the deck) against the circuit-aware model
# with the same offsets: sequence decision agreement, and the state agreement with the ideal model that each
# side gives (target: decision predicted in >= 95 % of samples, state agreement within 1 percentage point)
samples="${BENCH_MC_SAMPLES:-5}"; frames="${BENCH_MC_FRAMES:-50}"
if [ "$samples" -gt 0 ]; then
    head -n $((frames + 1)) "$stim" > "$dir/mc.csv"
    "$bmru" model "$net" --input "$dir/mc.csv" -o "$dir/ideal.csv" --states "$dir/ideal-states.csv"
    for s in $(seq 1 "$samples"); do
        "$bmru" cosim "$net" --input "$dir/mc.csv" --out "$dir/mc$s" --mismatch-seed "$s" --required 0 --quiet > /dev/null 2>&1 || true
        "$bmru" model "$net" --input "$dir/mc.csv" -o "$dir/ca$s.csv" --states "$dir/ca$s-states.csv" --circuit-aware --mismatch-seed "$s"
    done
    python3 - "$dir" "$samples" <<'PY'
import csv, json, sys, os
d, n = sys.argv[1], int(sys.argv[2])
ideal = list(csv.DictReader(open(f"{d}/ideal-states.csv")))
units = [k for k in ideal[0] if k != "frame"]
agree_dec = 0; diffs = []; ok = 0
for s in range(1, n + 1):
    rp = f"{d}/mc{s}/report.json"
    if not os.path.exists(rp):
        print(f"  sample {s}: co-simulation failed"); continue
    ok += 1
    r = json.load(open(rp))
    dec = r.get("decision") or {}
    agree_dec += 1 if dec.get("sequence_agrees", True) else 0
    wf = list(csv.DictReader(open(f"{d}/mc{s}/waveforms.csv")))
    ca = list(csv.DictReader(open(f"{d}/ca{s}-states.csv")))
    pairs = spice_ok = model_ok = 0
    for t, row in enumerate(wf):
        for u in units:
            layer, i = u.rsplit(".", 1)
            c = round(float(row[f"circuit:{layer}[{i}].state"])); m = int(ca[t][u]); g = int(ideal[t][u])
            pairs += 1; spice_ok += c == g; model_ok += m == g
    a_s, a_m = spice_ok / pairs, model_ok / pairs
    diffs.append(abs(a_s - a_m))
    print(f"  sample {s}: circuit vs circuit-aware states {r['state_agreement']:.4f}; agreement with the ideal model: SPICE {a_s:.4f}, predicted {a_m:.4f}; sequence decision agrees {dec.get('sequence_agrees', True)}")
if ok:
    print(f"  shared-sample Monte Carlo, {ok} samples x {len(wf)} frames: sequence decision predicted in {100*agree_dec/ok:.0f} % of samples; |state agreement SPICE - predicted| max {100*max(diffs):.2f} pp, mean {100*sum(diffs)/len(diffs):.2f} pp")
PY
fi
