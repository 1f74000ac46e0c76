#!/usr/bin/env bash
# The main job: co-simulate the shipped examples, circuit (in-process ngspice, GF180MCU) against model,
# print each report's summary and where it landed.
#  1. examples/kws-yes.json, the keyword spotter trained by `bmru train` on synthetic speech, on a "yes" clip;
#  2. examples/kws-shape.json, a keyword-spotting-shaped network whose cells switch many times, on a random
#     100-frame stimulus;
#  3. examples/crossbar-kws.json, the keyword spotter of the second architecture (a resistive-crossbar RNN with
#     ramp-ADC activations), on a "yes" clip.
# Exit status: 0 when all agree, 1 when one falls short, 2 for invalid input or a failed simulation.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="${BMRU_BIN:-$root/.build/release/bmru}"
out="${DEMO_OUT:-$root/out/demo}"
worst=0
run() {
  local name=$1 net=$2 stim=$3
  echo "== bmru cosim examples/$(basename "$net") --input examples/$(basename "$stim") --out ${out#$root/}/$name" >&2
  "$bmru" cosim "$net" --input "$stim" --out "$out/$name"
  local status=$?
  case $status in
    0) echo "demo: $name: circuit and model agree (report: $out/$name/report.html)" ;;
    1) echo "demo: $name: circuit and model DISAGREE (report: $out/$name/report.html)" ;;
    *) echo "demo: $name: failed (exit $status)" ;;
  esac
  [ $status -gt $worst ] && worst=$status
  echo
}
# the crossbar deck takes about eight minutes (every frame is 62 ramp clock periods of transistor-level
# comparators): it runs on the second core while the two BMRU decks run on the first, and its summary follows theirs
mkdir -p "$out"
( run crossbar-kws "$root/examples/crossbar-kws.json" "$root/examples/crossbar-kws-yes-1.csv"; exit $worst ) > "$out/.crossbar-kws.log" 2>&1 &
crossbar=$!
run kws-yes "$root/examples/kws-yes.json" "$root/examples/kws-yes-1.csv"
run kws-shape "$root/examples/kws-shape.json" "$root/examples/kws-shape-random.csv"
echo "demo: waiting for the crossbar co-simulation (about eight minutes on one core) ..." >&2
wait $crossbar
status=$?
cat "$out/.crossbar-kws.log"
rm -f "$out/.crossbar-kws.log"
[ $status -gt $worst ] && worst=$status
exit $worst
