#!/usr/bin/env bash
# A single-node Slurm cluster in a folder, for trying the sweep scripts and for
# the test that runs them (tests/cli/slurm_slow_test.cc). Needs the Debian
# packages slurm-wlm and munge (scripts/install-deps.sh).
#
#   scripts/slurm/local-cluster.sh start DIR [PORT]   # munged, slurmctld, slurmd; waits for the node
#   export SLURM_CONF=DIR/slurm.conf                  # then sbatch, squeue, scancel use it
#   scripts/slurm/local-cluster.sh stop DIR           # stops the daemons started in DIR
#
# Everything lives in DIR: the configuration, a fresh munge key, state, logs
# and pid files. It runs as the current user (root in the containers this was
# written for). Nothing in it needs cgroups: proctrack/linuxproc follows a
# job's processes through /proc, and task/none binds nothing. PORT (default
# 16817) and PORT+1 are slurmctld's and slurmd's ports.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR [PORT] | stop DIR" >&2
    exit 3
}
[ $# -ge 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
port=${3:-16817}

stop() {
    # The daemons' own pid files: only what was started in DIR is stopped.
    local file pid
    for file in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [ -f "$file" ] || continue
        pid=$(cat "$file")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$file"
    done
}

start() {
    local host user
    host=$(hostname -s)
    user=$(id -un)
    mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
    chmod 700 "$dir/munge"
    if [ ! -f "$dir/munge/munge.key" ]; then
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
        chmod 600 "$dir/munge/munge.key"
    fi
    # --force: munged refuses, by default, to run as root or on a socket
    # folder others could reach; this one is private to DIR.
    /usr/sbin/munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
    cat >"$dir/slurm.conf" <<CONF
ClusterName=faultline
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    /usr/sbin/slurmctld -i
    /usr/sbin/slurmd
    # Ready when the node is idle. Bounded in time, so a daemon that cannot
    # run here fails the start instead of hanging it: each sinfo gets 2 s (it
    # retries a controller that is not there for much longer), and a
    # controller that has died (its port in use, say) fails it at once.
    local deadline=$((SECONDS + 30)) controller
    while ((SECONDS < deadline)); do
        if timeout 2 sinfo -h -o '%t' 2>/dev/null | grep -qx idle; then
            return 0
        fi
        controller=$(cat "$dir/slurmctld.pid" 2>/dev/null || true)
        if [ -n "$controller" ] && ! kill -0 "$controller" 2>/dev/null; then
            echo "$0: slurmctld stopped (port $port or $((port + 1)) in use?); logs in $dir/log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "$0: the node did not become idle within 30 s; logs in $dir/log and $dir/munge" >&2
    return 1
}

case "$action" in
    start)
        if ! start; then
            stop
            exit 1
        fi
        ;;
    stop) stop ;;
    *) usage ;;
esac
