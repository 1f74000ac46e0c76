#!/usr/bin/env bash
# The main job: co-simulate the shipped example network on a shipped stimulus, print the report's summary
# and where it landed. Exit status is cosim's: 0 agree, 1 agreement short, 2 invalid input or failed run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="$root/.build/release/bmru"
net="${DEMO_NETWORK:-$root/examples/kws-yes.json}"
stim="${DEMO_INPUT:-$root/examples/kws-yes-1.csv}"
if [ ! -f "$net" ] || [ ! -f "$stim" ]; then
  net="$root/examples/kws-shape.json"
  stim="$root/examples/kws-shape-random.csv"
fi
out="${DEMO_OUT:-$root/out/demo}"
echo "bmru cosim $(basename "$net") --input $(basename "$stim") --out ${out#$root/}" >&2
"$bmru" cosim "$net" --input "$stim" --out "$out"
status=$?
case $status in
  0) echo "demo: circuit and model agree (report: $out/report.html)" ;;
  1) echo "demo: circuit and model DISAGREE (report: $out/report.html)" ;;
  *) echo "demo: failed (exit $status)" ;;
esac
exit $status
