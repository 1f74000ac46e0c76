#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for trying and testing bmru's sharded sweeps
# (examples/slurm/sweep.sbatch, scripts/test-cluster.sh).
#
#   scripts/slurm-local.sh start    install slurm-wlm and munge when missing (as root), write the configuration,
#                                   start munged, slurmctld and slurmd, wait until the node is idle
#   scripts/slurm-local.sh stop     cancel the cluster's jobs and stop its daemons
#   scripts/slurm-local.sh status   the daemons and `sinfo`; exit 0 only when the cluster is up
#   scripts/slurm-local.sh env      the line that points Slurm's commands at it: eval "$(scripts/slurm-local.sh env)"
#
# Everything lives under $BMRU_SLURM_DIR (default /tmp/bmru-slurm): slurm.conf, its own munge key and socket,
# state, spool, pid files and logs; /etc is left alone. The daemons are started directly (no systemd, no init
# scripts: this runs in containers too), as root, with process tracking that needs no cgroups
# (proctrack/linuxproc, task/none). The controller listens on $BMRU_SLURM_PORT (default 6817), slurmd on the
# next port; both are reached through 127.0.0.1 only. $BMRU_SLURM_TIMEOUT (default 60) bounds the wait for the
# node to become idle. `start` on a running cluster with the same configuration only checks it.
set -euo pipefail

DIR=${BMRU_SLURM_DIR:-/tmp/bmru-slurm}
PORT=${BMRU_SLURM_PORT:-6817}
TIMEOUT=${BMRU_SLURM_TIMEOUT:-60}
CONF=$DIR/etc/slurm.conf
MUNGE_DIR=$DIR/munge
MUNGE_SOCKET=$MUNGE_DIR/munge.socket.2
NODE=$(hostname -s)
INSTALL="sudo apt-get install -y slurm-wlm munge"
export PATH=$PATH:/usr/sbin:/sbin
export SLURM_CONF=$CONF

say() { echo "slurm-local: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
  echo "usage: scripts/slurm-local.sh start|stop|status|env" >&2
  exit 2
}

# --- packages -------------------------------------------------------------------------------------------------
missing_commands() {
  local c
  for c in munged mungekey munge slurmctld slurmd sinfo sbatch squeue scontrol scancel; do
    command -v "$c" >/dev/null 2>&1 || echo "$c"
  done
}

ensure_packages() {
  local missing
  missing=$(missing_commands | tr '\n' ' ')
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "missing ${missing% }; installing slurm-wlm and munge with apt-get ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2
    missing=$(missing_commands | tr '\n' ' ')
    [ -z "$missing" ] || die "still missing after apt-get install: ${missing% }"
  else
    die "Slurm is not installed (missing ${missing% }); run: $INSTALL"
  fi
}

# --- processes ------------------------------------------------------------------------------------------------
# pid_of NAME: the pid in NAME's pid file when that process is alive and is NAME (a stale pid file reused by an
# unrelated process does not count)
pid_of() {
  local name=$1 file=$DIR/run/$1.pid pid
  [ -r "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  echo "$pid"
}

running() { pid_of "$1" >/dev/null; }

# await_pid NAME: the daemon has written its pid file (within 10 s)
await_pid() {
  local i
  for ((i = 0; i < 100; i++)); do
    running "$1" && return 0
    sleep 0.1
  done
  log_tails
  die "$1 did not start (no live process in $DIR/run/$1.pid)"
}

# stop_daemon NAME: SIGTERM, then SIGKILL after 10 s
stop_daemon() {
  local name=$1 pid i
  pid=$(pid_of "$name") || { rm -f "$DIR/run/$name.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    say "$name (pid $pid) did not stop within 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$DIR/run/$name.pid"
  say "stopped $name (pid $pid)"
}

log_tails() {
  local f
  for f in "$DIR"/log/*.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f:" >&2
    tail -n 25 "$f" >&2
  done
}

# --- configuration --------------------------------------------------------------------------------------------
write_conf() {
  local out=$1 cpus mem_kb mem_mb margin
  cpus=$(nproc)
  mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  mem_mb=$((mem_kb / 1024))
  # slurmd drains a node that reports less memory than RealMemory: leave 5 % (at least 256 MiB) of margin
  margin=$((mem_mb / 20))
  [ "$margin" -ge 256 ] || margin=256
  cat >"$out" <<EOF
# Written by scripts/slurm-local.sh: a single-node cluster on $NODE. Changes here are overwritten by its start.
ClusterName=bmru-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job waits this long (default 120 s) before it may start again
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=20
MailProg=/bin/true
MpiDefault=none

# no cgroups: processes are tracked through their parents, tasks are not confined
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt

SchedulerType=sched/backfill
# look for startable jobs every 5 s (defaults: 60 s, backfill 30 s), so a requeued job starts soon after it may
SchedulerParameters=sched_interval=5,bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU

StateSaveLocation=$DIR/state/slurmctld
SlurmdSpoolDir=$DIR/state/slurmd
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info

# a node that comes back (after a restart of slurmd or of the machine) takes jobs again on its own
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
# finished jobs stay visible to scontrol / squeue for 5 minutes (there is no accounting database)
MinJobAge=300
# a cancelled or requeued job gets SIGTERM, then SIGKILL 5 s later
KillWait=5
Waittime=0
JobRequeue=1

NodeName=$NODE NodeHostname=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$((mem_mb - margin)) State=UNKNOWN
PartitionName=main Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

# --- the node's state -----------------------------------------------------------------------------------------
node_state() { sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1; }

wait_idle() {
  local deadline=$((SECONDS + TIMEOUT)) state=""
  while [ $SECONDS -lt $deadline ]; do
    state=$(node_state || true)
    case "$state" in
      idle | mixed | allocated) say "node $NODE is $state (SLURM_CONF=$CONF)"; return 0 ;;
    esac
    for d in munged slurmctld slurmd; do
      running "$d" || { say "error: $d is no longer running"; log_tails; return 1; }
    done
    sleep 0.5
  done
  say "error: node $NODE is not idle after ${TIMEOUT} s (state: ${state:-none})"
  sinfo -N -l >&2 2>&1 || true
  scontrol show node "$NODE" 2>&1 | grep -E 'State=|Reason=' >&2 || true
  log_tails
  return 1
}

# --- commands -------------------------------------------------------------------------------------------------
cmd_start() {
  ensure_packages
  [ "$(id -u)" = 0 ] || die "the cluster's daemons run as root; run: sudo $0 start"
  mkdir -p "$DIR/etc" "$DIR/run" "$DIR/log" "$DIR/state/slurmctld" "$DIR/state/slurmd" "$MUNGE_DIR"
  chmod 0755 "$MUNGE_DIR"
  say "$(slurmd -V) (Debian $(dpkg-query -W -f '${Version}' slurmctld 2>/dev/null || echo '?')), node $NODE, state in $DIR"
  write_conf "$CONF.new"
  if running munged && running slurmctld && running slurmd; then
    if cmp -s "$CONF.new" "$CONF"; then
      say "already running"
      if TIMEOUT=10 wait_idle; then
        rm -f "$CONF.new"
        return
      fi
      say "restarting it"
    else
      say "running with another configuration; restarting"
    fi
  fi
  cmd_stop quiet
  mv "$CONF.new" "$CONF"

  if [ ! -s "$MUNGE_DIR/munge.key" ]; then
    mungekey --create --keyfile="$MUNGE_DIR/munge.key" >&2
    say "made a munge key: $MUNGE_DIR/munge.key"
  fi
  chmod 0400 "$MUNGE_DIR/munge.key"
  # --force: munged refuses to run as root or beside world-writable parents such as /tmp without it
  setsid munged --force --key-file="$MUNGE_DIR/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$MUNGE_DIR/munged.seed" \
    </dev/null >>"$DIR/log/daemons.out" 2>&1 || { log_tails; die "munged did not start"; }
  await_pid munged
  munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null ||
    { log_tails; die "munged does not answer on $MUNGE_SOCKET"; }

  # -c: a fresh cluster, without the jobs and node states of an earlier start
  setsid slurmctld -c -f "$CONF" </dev/null >>"$DIR/log/daemons.out" 2>&1 || { log_tails; die "slurmctld did not start"; }
  await_pid slurmctld
  setsid slurmd -f "$CONF" -N "$NODE" </dev/null >>"$DIR/log/daemons.out" 2>&1 || { log_tails; die "slurmd did not start"; }
  await_pid slurmd
  wait_idle || exit 1
  say "started: munged $(pid_of munged), slurmctld $(pid_of slurmctld), slurmd $(pid_of slurmd)"
  say "use it with: export SLURM_CONF=$CONF"
}

cmd_stop() {
  local quiet=${1:-} ids i
  if running slurmctld && command -v squeue >/dev/null 2>&1; then
    ids=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
    if [ -n "${ids// /}" ]; then
      say "cancelling jobs $ids"
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null || true
      for ((i = 0; i < 150; i++)); do
        [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
        sleep 0.2
      done
    fi
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
  [ -n "$quiet" ] || say "stopped (state and logs kept in $DIR)"
}

cmd_status() {
  local d up=0 state
  for d in munged slurmctld slurmd; do
    if running "$d"; then
      echo "$d: running (pid $(pid_of "$d"))"
    else
      echo "$d: stopped"
      up=1
    fi
  done
  if running slurmctld; then
    sinfo || up=1
    state=$(node_state || true)
    case "$state" in idle | mixed | allocated) ;; *) up=1 ;; esac
  fi
  echo "SLURM_CONF=$CONF"
  return $up
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) usage ;;
esac
