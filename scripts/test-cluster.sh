#!/usr/bin/env bash
# make test-cluster: bmru's sharded sweep on a real Slurm scheduler. On a local single-node cluster
# (scripts/slurm-local.sh) it submits examples/slurm/sweep.json as the job array of examples/slurm/sweep.sbatch,
# the README's script, in SHARDS shards; requeues one array task while it runs (Slurm kills it: SIGTERM to
# bmru and its workers) and checks that the task, started again, keeps the jobs it had finished and runs only
# the rest; then merges the shard folders with `bmru batch merge` and checks that the merged folder equals an
# unsharded `bmru batch` run of the same manifest: summary.json, summary.md and junit.xml byte for byte, batch.json,
# the same job folders, every job's result.json apart from its wall times (report.timing).
#
# Prints PASS/FAIL per check and "test-cluster: N passed, M failed"; exits 1 on any failure. A missing Slurm is a
# failure with the command that installs it, never a skip. The cluster is stopped at the end when this script
# started it (one that was already running is left running). Needs the release bmru (make test-cluster builds
# it; BMRU_BIN_DIR to use another folder) and the GF180MCU models ($BMRU_MODELS or models/gf180mcu).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BMRU_BIN_DIR:-$ROOT/.build/release}
export BMRU_MODELS=${BMRU_MODELS:-$ROOT/models/gf180mcu}
MANIFEST=$ROOT/examples/slurm/sweep.json
SCRIPT=$ROOT/examples/slurm/sweep.sbatch
export SHARDS=3
KILLED=1                       # the array task that is requeued while it runs
LIMIT=${BMRU_CLUSTER_TEST_TIMEOUT:-170}   # seconds for the whole test, once the cluster is up

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# check DESCRIPTION COMMAND...: PASS when the command succeeds
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  echo "test-cluster: $passed passed, $failed failed ($((SECONDS - started)) s)"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
# abort DESCRIPTION: a failure after which the rest cannot run
abort() {
  fail "$*"
  finish
  exit 1
}
started=$SECONDS

# --- preconditions: failures, never skips ---------------------------------------------------------------------
[ -x "$BIN_DIR/bmru" ] || abort "no bmru executable in $BIN_DIR; run: swift build -c release --product bmru (make test-cluster does)"
for f in design.ngspice sm141064.ngspice; do
  [ -r "$BMRU_MODELS/$f" ] || abort "GF180MCU model file $BMRU_MODELS/$f is missing; run: make models"
done
command -v python3 >/dev/null 2>&1 || abort "python3 is missing; run: sudo apt-get install -y python3 (or make setup)"
export PATH=$BIN_DIR:$PATH

W=$(mktemp -d /tmp/bmru-test-cluster.XXXXXX)
cluster_was_up=0
cluster_started=0
jid=""
cleanup() {
  [ -n "$jid" ] && scancel "$jid" 2>/dev/null
  if [ "$cluster_started" = 1 ] && [ "${BMRU_SLURM_KEEP:-0}" != 1 ]; then
    bash "$ROOT/scripts/slurm-local.sh" stop 2>&1 | sed 's/^/  /'
  elif [ "$cluster_was_up" = 1 ]; then
    echo "  (the cluster was running before the test: left running)"
  fi
  if [ "$failed" -eq 0 ]; then rm -rf "$W"; else echo "  the test's files are kept in $W"; fi
}
trap cleanup EXIT
trap 'echo "test-cluster: interrupted"; exit 130' INT TERM

# --- the cluster ----------------------------------------------------------------------------------------------
bash "$ROOT/scripts/slurm-local.sh" status >/dev/null 2>&1 && cluster_was_up=1
t=$SECONDS
if ! bash "$ROOT/scripts/slurm-local.sh" start 2>&1 | tee "$W/cluster-start.log" | sed 's/^/  /'; then
  [ "$cluster_was_up" = 1 ] || cluster_started=1
  abort "scripts/slurm-local.sh start: the local Slurm cluster did not start (see above)"
fi
[ "$cluster_was_up" = 1 ] || cluster_started=1
eval "$(bash "$ROOT/scripts/slurm-local.sh" env)"
pass "a single-node Slurm cluster is up ($(slurmd -V), $((SECONDS - t)) s; SLURM_CONF=$SLURM_CONF)"
deadline=$((SECONDS + LIMIT))
left() { echo $((deadline - SECONDS)); }

# --- the unsharded reference ----------------------------------------------------------------------------------
t=$SECONDS
(cd "$W" && bmru batch "$MANIFEST" --out "$W/full" --jobs 2 --quiet >"$W/full.out" 2>"$W/full.err")
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then
  pass "unsharded bmru batch of $(basename "$MANIFEST") (exit $rc, $((SECONDS - t)) s)"
else
  tail -n 20 "$W/full.err"
  abort "unsharded bmru batch exits $rc"
fi
total=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["jobs"]))' "$W/full/batch.json")

# --- the array job --------------------------------------------------------------------------------------------
t=$SECONDS
jid=$(sbatch --parsable --array=0-$((SHARDS - 1)) --cpus-per-task=1 --chdir="$W" --output="$W/slurm-%A_%a.out" \
  "$SCRIPT" "$MANIFEST" "$W/results") || abort "sbatch $SCRIPT was refused"
jid=${jid%%;*}
pass "sbatch --array=0-$((SHARDS - 1)) $(basename "$SCRIPT"): job $jid, $SHARDS shards of $total jobs"

task_state() { squeue -h -j "${jid}_$1" -o %T 2>/dev/null | head -n 1; }
# finished job folders of shard I (a folder is renamed into place only once its result.json is written)
finished() { find "$W/results/shard-$1/jobs" -mindepth 1 -maxdepth 1 -type d ! -name '.*' 2>/dev/null | sort; }
per_shard=$(( (total + SHARDS - 1 - KILLED) / SHARDS ))

# requeue task KILLED once it has finished a job and is still working on the others
while [ "$(left)" -gt 0 ]; do
  n=$(finished "$KILLED" | wc -l)
  [ "$n" -ge 1 ] && [ "$(task_state "$KILLED")" = RUNNING ] && break
  if [ "$n" -ge "$per_shard" ]; then break; fi
  sleep 0.1
done
n=$(finished "$KILLED" | wc -l)
[ "$n" -ge 1 ] && [ "$n" -lt "$per_shard" ] ||
  abort "precondition not met: shard $KILLED had $n of $per_shard jobs finished when it was to be killed"
scontrol requeue "${jid}_$KILLED" || abort "scontrol requeue ${jid}_$KILLED was refused"
# the killed run is over once the task is pending again; its finished jobs are then final
while [ "$(left)" -gt 0 ] && [ "$(task_state "$KILLED")" != PENDING ]; do sleep 0.2; done
[ "$(task_state "$KILLED")" = PENDING ] || abort "task ${jid}_$KILLED is not pending after scontrol requeue (state: $(task_state "$KILLED"))"
finished "$KILLED" >"$W/kept"
kept=$(wc -l <"$W/kept")
# stamps FOLDERS: every file of those job folders with its modification time (ns)
stamps() { xargs -I{} find {} -type f -printf '%p %T@\n' <"$1" | sort; }
stamps "$W/kept" >"$W/kept-before"
cp "$W/slurm-${jid}_$KILLED.out" "$W/killed-run.out" 2>/dev/null
if [ "$kept" -lt "$per_shard" ] && grep -q "terminated; stopping workers" "$W/killed-run.out"; then
  pass "task ${jid}_$KILLED requeued mid-run: bmru got SIGTERM with $kept of $per_shard jobs finished"
else
  fail "task ${jid}_$KILLED requeued mid-run (kept $kept of $per_shard; its output: $(tr '\n' '|' <"$W/killed-run.out"))"
fi

# all tasks to their end (the requeued one starts again after the cluster's cred_expire)
while [ "$(left)" -gt 0 ] && [ -n "$(squeue -h -j "$jid" 2>/dev/null)" ]; do sleep 1; done
if [ -n "$(squeue -h -j "$jid" 2>/dev/null)" ]; then
  squeue -j "$jid"
  abort "job $jid has not finished within ${LIMIT} s"
fi
states=$(scontrol -o show job "$jid" | sed -n 's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z_]*\) .*Restarts=\([0-9]*\) .*ExitCode=\([0-9:]*\).*/\1 \2 \3 \4/p' | sort -n)
expected=$(for ((i = 0; i < SHARDS; i++)); do echo "$i COMPLETED $([ $i = $KILLED ] && echo 1 || echo 0) 0:0"; done)
if [ "$states" = "$expected" ]; then
  pass "every array task COMPLETED with exit 0, task $KILLED after one restart ($((SECONDS - t)) s)"
else
  fail "array task states (task state restarts exit):"$'\n'"$states"$'\n'"expected:"$'\n'"$expected"
fi

# the restarted task kept the jobs of the killed run and ran only the others
out=$W/slurm-${jid}_$KILLED.out
if grep -q "$per_shard selected, $kept already done, $((per_shard - kept)) to run" "$out"; then
  pass "the restarted task: $kept already done, $((per_shard - kept)) to run"
else
  fail "the restarted task's log does not say \"$kept already done\": $(grep 'selected' "$out" | tr '\n' '|')"
fi
stamps "$W/kept" >"$W/kept-after"
check "the $kept finished jobs of the killed run were not rewritten ($(wc -l <"$W/kept-before") files, same mtimes)" \
  cmp -s "$W/kept-before" "$W/kept-after"
if grep -h "warning" "$W"/slurm-"$jid"_*.out "$W/full.err"; then
  fail "bmru warned in a shard or the reference run (above)"
else
  pass "no warnings from bmru in the shards and the reference (calibration found through PATH)"
fi

# --- merge and compare ----------------------------------------------------------------------------------------
shard_dirs=()
for ((i = 0; i < SHARDS; i++)); do shard_dirs+=("$W/results/shard-$i"); done
bmru batch merge "${shard_dirs[@]}" --out "$W/results/all" --quiet >"$W/merge.out" 2>&1
rc=$?
check "bmru batch merge of the $SHARDS shard folders exits 0 (complete; exit $rc)" [ $rc -eq 0 ]
for f in summary.json summary.md junit.xml batch.json; do
  check "merged $f equals the unsharded run's, byte for byte" cmp "$W/full/$f" "$W/results/all/$f"
done
python3 - "$W/full" "$W/results/all" "$SHARDS" <<'EOF'
import json, os, sys
full, merged, shards = sys.argv[1], sys.argv[2], int(sys.argv[3])
bad = []
def jobs(d):
    return sorted(x for x in os.listdir(d + "/jobs") if not x.startswith("."))
a, b = jobs(full), jobs(merged)
if a != b:
    bad.append("job folders differ: only unsharded %s, only merged %s" % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
def result(d, i):
    r = json.load(open("%s/jobs/%s/result.json" % (d, i)))
    # wall times are the only fields that legitimately differ between two runs of one job
    if r.get("report"):
        r["report"].pop("timing", None)
    return r
for i in sorted(set(a) & set(b)):
    if result(full, i) != result(merged, i):
        bad.append("job %s: result.json differs (besides report.timing)" % i)
# each shard holds exactly its jobs: index modulo the shard count
index = {j["id"]: j["index"] for j in json.load(open(full + "/batch.json"))["jobs"]}
for s in range(shards):
    d = os.path.join(os.path.dirname(merged), "shard-%d" % s)
    have = set(jobs(d))
    want = {i for i, k in index.items() if k % shards == s}
    if have != want:
        bad.append("shard %d holds %d jobs, expected %d of index %% %d == %d" % (s, len(have), len(want), shards, s))
for line in bad:
    print("  " + line)
print("  compared %d jobs" % len(a))
sys.exit(1 if bad else 0)
EOF
rc=$?
check "the merged job folders are the unsharded run's; every result.json equal apart from report.timing; each shard held its own jobs" [ $rc -eq 0 ]

finish
