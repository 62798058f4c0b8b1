#!/usr/bin/env bash
# Stops the processes that up.sh started (by their pid files: TERM, then KILL
# after a grace period) and removes .flk/cluster and .flk/kubeconfig.
# Safe to run when nothing is running, or twice.
#
#   FLK_DOWN_GRACE  seconds to wait after TERM before KILL (default 10)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
FLK_DIR="$REPO/.flk"
STATE="$FLK_DIR/cluster"
PIDS="$STATE/pids"
GRACE="${FLK_DOWN_GRACE:-10}"

# Reverse of the start order: clients first, etcd last, so that nothing logs a
# storm of connection errors on the way down.
COMPONENTS=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

log() { printf '[flk-down %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ours PID: the process runs with our state dir on its command line. A pid
# file can outlive its process and the pid be reused by something else; that
# something is left alone.
ours() {
  [[ "$1" =~ ^[0-9]+$ && -r "/proc/$1/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$STATE"
}

# Same lock as up.sh (unless up.sh itself is calling us, holding it).
if [[ -z "${FLK_CLUSTER_LOCKED:-}" && -d "$FLK_DIR" ]]; then
  exec 8>"$FLK_DIR/cluster.lock"
  if ! flock -w "${FLK_LOCK_TIMEOUT:-600}" 8; then
    log "ERROR: another up.sh/down.sh has held $FLK_DIR/cluster.lock for ${FLK_LOCK_TIMEOUT:-600}s"
    exit 1
  fi
fi

stopped_any=0
if [[ -d "$PIDS" ]]; then
  declare -A pid_of=()
  for c in "${COMPONENTS[@]}"; do
    f="$PIDS/$c.pid"
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if ours "$pid"; then
      log "stopping $c (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pid_of[$c]="$pid"
      stopped_any=1
    fi
  done

  # Wait (bounded) for all of them together, then KILL whatever is left.
  deadline=$(( SECONDS + GRACE ))
  while (( SECONDS < deadline )); do
    left=0
    for c in "${!pid_of[@]}"; do
      ours "${pid_of[$c]}" && left=1
    done
    (( left )) || break
    sleep 0.2
  done
  for c in "${!pid_of[@]}"; do
    pid="${pid_of[$c]}"
    if ours "$pid"; then
      log "$c (pid $pid) ignored TERM for ${GRACE}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # A KILLed process can take a moment to vanish; wait briefly so the ports
  # are free for an immediate up.sh.
  for (( i = 0; i < 50; i++ )); do
    left=0
    for c in "${!pid_of[@]}"; do
      ours "${pid_of[$c]}" && left=1
    done
    (( left )) || break
    sleep 0.1
  done
fi

(( stopped_any )) || log "no cluster processes were running"
rm -rf "$STATE" "$FLK_DIR/kubeconfig"
log "removed ${STATE#"$REPO"/} and ${FLK_DIR#"$REPO"/}/kubeconfig"
