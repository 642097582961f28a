#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for CI and for trying the job-array scripts
# without an HPC system. Debian 12, as root. Everything it writes lives under $SLURM_LOCAL_DIR
# (default /tmp/tecscan-slurm): its own slurm.conf, munge key and socket, spool, state and logs,
# on non-default ports, so a Slurm or munge already configured on the host is left alone.
#
#   local-cluster.sh install   apt-get install slurmctld slurmd slurm-client munge (no-op if present)
#   local-cluster.sh start     write the config, start munged, slurmctld, slurmd; wait for "idle"
#   local-cluster.sh status    the daemons' state and sinfo
#   local-cluster.sh env       prints "export SLURM_CONF=..." (eval it before sbatch/sinfo)
#   local-cluster.sh logs      prints the daemons' logs
#   local-cluster.sh stop      kills the daemons and removes $SLURM_LOCAL_DIR
#
# Environment: SLURM_LOCAL_DIR, SLURM_LOCAL_PORT (slurmctld port, default 16817; slurmd uses
# +1), SLURM_LOCAL_TIMEOUT (seconds to wait for the node, default 60), SLURM_LOCAL_GPUS (fake
# GPU gres count, default one per CPU; 0 = none).
#
# Why it looks the way it does (containers): there is no systemd, so the daemons are started
# directly with pid files; cgroups may be read-only or missing, so process tracking is
# proctrack/linuxproc and there is no task or accounting plugin; the host name may not resolve,
# so controller and node are addressed as 127.0.0.1. The fake GPUs are character devices made
# with mknod under $SLURM_LOCAL_DIR/dev (only their existence matters: nothing constrains
# devices without cgroups); where mknod is refused, the gres is declared by count alone.
# Exit status: 0 ok, 1 failure, 3 Slurm cannot be installed (not root, apt failed).
set -euo pipefail

base=${SLURM_LOCAL_DIR:-/tmp/tecscan-slurm}
port=${SLURM_LOCAL_PORT:-16817}
timeout=${SLURM_LOCAL_TIMEOUT:-60}
ngpus=${SLURM_LOCAL_GPUS:-$(nproc)}
packages=(slurmctld slurmd slurm-client munge)
conf=$base/etc/slurm.conf
munge_socket=$base/munge/munge.socket

log() { echo "local-cluster: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

missing_packages() {
  local p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

cmd_install() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  if [ -z "${missing// /}" ]; then
    log "Slurm and munge already installed ($(slurmctld -V 2>/dev/null || echo '?'))"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "cannot install $missing: not root (run as root or install them yourself)"
    return 3
  fi
  command -v apt-get >/dev/null || {
    log "cannot install $missing: no apt-get (not Debian?)"
    return 3
  }
  log "installing $missing"
  # The packages' maintainer scripts would start the system's munge/slurm services (with the
  # host's /etc config, which does not exist yet); a temporary policy-rc.d stops that, unless
  # the host already has its own policy.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT # also when apt-get is interrupted
  fi
  local rc=0
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
    apt-get update -qq || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing || rc=3
  fi
  ((own_policy)) && rm -f "$policy"
  ((rc == 0)) || log "apt-get could not install $missing"
  return $rc
}

# The name slurmd registers under: the host name up to the first dot (no DNS lookup).
short_host() {
  local h
  h=$(uname -n)
  echo "${h%%.*}"
}

pid_of() { # pid_of NAME -> the pid if that daemon runs
  local f=$base/run/$1.pid pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

write_config() {
  local host cpus mem node_line topology gres=""
  host=$(short_host)
  # slurmd -C prints this machine's real layout; only the hardware fields go into NodeName.
  node_line=$(slurmd -C 2>/dev/null | head -1) || true
  topology=$(grep -o '\(CPUs\|Boards\|SocketsPerBoard\|CoresPerSocket\|ThreadsPerCore\)=[0-9]*' \
    <<<"$node_line" | tr '\n' ' ') || true
  cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node_line")
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
  [ -n "$cpus" ] || { cpus=$(nproc) && topology="CPUs=$cpus"; }
  [ -n "$mem" ] || mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024))
  mem=$((mem * 95 / 100)) # slurmd marks a node down whose RealMemory exceeds what it finds

  mkdir -p "$base"/{etc,run,log,state,dev} "$base/spool/slurmd-$host"
  : >"$base/etc/gres.conf"
  if ((ngpus > 0)); then
    local i files="" made=1
    for ((i = 0; i < ngpus; i++)); do
      local dev=$base/dev/fakegpu$i
      [ -c "$dev" ] || mknod "$dev" c 195 "$i" 2>/dev/null || {
        made=0
        break
      }
    done
    if ((made)); then
      files="File=$base/dev/fakegpu[0-$((ngpus - 1))]"
    else
      log "mknod refused: fake GPUs declared by count only"
    fi
    echo "AutoDetect=off" >>"$base/etc/gres.conf"
    echo "NodeName=$host Name=gpu Count=$ngpus $files" >>"$base/etc/gres.conf"
    gres="Gres=gpu:$ngpus"
  fi

  cat >"$conf" <<EOF
# Written by scripts/slurm/local-cluster.sh: a one-node test cluster, no accounting.
ClusterName=tecscan-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$base/state
SlurmdSpoolDir=$base/spool/slurmd-%n
SlurmctldPidFile=$base/run/slurmctld.pid
SlurmdPidFile=$base/run/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
# Schedule every 2 s instead of 60 s: a CI array of short tasks should not wait on the timer.
SchedulerParameters=sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
MinJobAge=600
$( ((ngpus > 0)) && echo "GresTypes=gpu")
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host $topology RealMemory=$mem $gres State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  pid_of munged >/dev/null && return 0
  mkdir -p "$base/munge"
  chmod 755 "$base/munge"
  if [ ! -s "$base/munge/munge.key" ]; then
    dd if=/dev/urandom of="$base/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$base/munge/munge.key"
  fi
  munged --force --origin=127.0.0.1 --key-file="$base/munge/munge.key" --socket="$munge_socket" \
    --pid-file="$base/run/munged.pid" --log-file="$base/log/munged.log" \
    --seed-file="$base/munge/munged.seed" ||
    die "munged did not start: $(tail -5 "$base/log/munged.log" 2>/dev/null)"
  # munge round trip: the daemons authenticate every message with it.
  local i
  for i in $(seq 1 50); do
    munge -n -S "$munge_socket" 2>/dev/null | unmunge -S "$munge_socket" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "munged runs but munge/unmunge fails: $(tail -5 "$base/log/munged.log" 2>/dev/null)"
}

cmd_logs() {
  local f
  for f in "$base"/log/*.log; do
    [ -e "$f" ] || continue
    echo "===== $f (last 40 lines) ====="
    tail -40 "$f"
  done
}

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -1 || true; }

cmd_start() {
  [ -n "$(missing_packages)" ] && die "Slurm is not installed: run '$0 install' first"
  [ "$(id -u)" -eq 0 ] || die "start needs root (the daemons run as root)"
  export SLURM_CONF=$conf
  if pid_of slurmctld >/dev/null && pid_of slurmd >/dev/null; then
    log "already running ($(node_state))"
    return 0
  fi
  write_config
  start_munge
  # -c: a cold start, no jobs from an earlier life of this test cluster.
  pid_of slurmctld >/dev/null || slurmctld -c -f "$conf" || {
    cmd_logs >&2
    die "slurmctld did not start"
  }
  pid_of slurmd >/dev/null || slurmd -f "$conf" || {
    cmd_logs >&2
    die "slurmd did not start"
  }
  local waited=0 state=""
  while ((waited < timeout * 2)); do
    state=$(node_state)
    # The daemons fork before they bind their ports or read their state: catch a late death.
    if ! pid_of slurmctld >/dev/null || ! pid_of slurmd >/dev/null; then
      sleep 0.5
      cmd_logs >&2
      if grep -qs "Address already in use" "$base"/log/slurm*.log; then
        log "hint: port $port or $((port + 1)) is taken: set SLURM_LOCAL_PORT to a free one"
      fi
      die "slurmctld or slurmd exited during startup (logs above)"
    fi
    case "$state" in
      idle | mixed | allocated) break ;;
      down* | drain*) scontrol update nodename="$(short_host)" state=resume 2>/dev/null || true ;;
    esac
    sleep 0.5
    waited=$((waited + 1))
  done
  case "$state" in
    idle | mixed | allocated) ;;
    *)
      cmd_logs >&2
      sinfo -N -l >&2 2>&1 || true
      die "the node is not idle after ${timeout}s (state '${state:-none}'); logs above"
      ;;
  esac
  log "cluster up: node $(short_host) $state, conf $conf"
  log "use it with: export SLURM_CONF=$conf"
}

cmd_status() {
  export SLURM_CONF=$conf
  local d rc=0
  for d in munged slurmctld slurmd; do
    if pid_of "$d" >/dev/null; then echo "$d: running (pid $(pid_of "$d"))"; else
      echo "$d: stopped"
      rc=1
    fi
  done
  ((rc == 0)) && sinfo -N -l
  return $rc
}

stop_daemon() { # stop_daemon NAME: SIGTERM, then SIGKILL after 10 s
  local pid i
  pid=$(pid_of "$1") || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$1 (pid $pid) ignored SIGTERM: killing it"
  kill -9 "$pid" 2>/dev/null || true
}

cmd_stop() {
  export SLURM_CONF=$conf
  # Cancel what is left and give the job steps time to end before their slurmd goes.
  if pid_of slurmctld >/dev/null; then
    scancel --quiet --full --user=root 2>/dev/null || true
    local i
    for i in $(seq 1 30); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
  [ -d "$base" ] && rm -rf "$base"
  log "stopped; removed $base"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) cmd_logs ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
