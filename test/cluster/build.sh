#!/usr/bin/env bash
# Builds the binaries of a local Kubernetes control plane from the Go modules:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes)
#   etcd                                                           (go.etcd.io/etcd/server/v3)
#   kwok                                                           (sigs.k8s.io/kwok)
# into ${FLK_CACHE:-$HOME/.cache/flk}/k8s-<version>/bin/, outside the repo.
#
# Versions known to build here (Go 1.26.8, linux/amd64, CGO off):
#   k8s.io/kubernetes v1.37.2 (staging modules pinned to v0.37.2)
#   go.etcd.io/etcd/server/v3 v3.7.4
#   sigs.k8s.io/kwok v0.8.0
#
# Each component has a stamp file; when a stamp matches the wanted version the
# component is skipped, so a second run takes seconds.
#
# Environment:
#   FLK_CACHE          cache root                  (default $HOME/.cache/flk)
#   FLK_K8S_VERSION    k8s.io/kubernetes version   (default v1.37.2)
#   FLK_ETCD_VERSION   etcd server version         (default v3.7.4)
#   FLK_KWOK_VERSIONS  kwok versions to try, in order (default "v0.8.0 v0.7.0")
#   FLK_BUILD_TIMEOUT  seconds one go build may take before it is stopped (default 5400)
set -euo pipefail

K8S_VERSION="${FLK_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${FLK_ETCD_VERSION:-v3.7.4}"
KWOK_VERSIONS="${FLK_KWOK_VERSIONS:-v0.8.0 v0.7.0}"
BUILD_TIMEOUT="${FLK_BUILD_TIMEOUT:-5400}"

CACHE_ROOT="${FLK_CACHE:-$HOME/.cache/flk}"
ROOT="$CACHE_ROOT/k8s-$K8S_VERSION"
BIN="$ROOT/bin"
SRC="$ROOT/src"

# Static binaries, reproducible paths, no debug info (smaller, faster to link).
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -trimpath"
# Never let a module's go line silently download another toolchain; a caller
# that needs one sets GOTOOLCHAIN explicitly (e.g. GOTOOLCHAIN=go1.27.3).
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# A go.work in the caller's directory tree must not leak into our wrappers.
export GOWORK=off

log() { printf '[flk-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "go is not installed"

mkdir -p "$BIN" "$SRC"

# Two builds at once (two test runs, say) would fight over the same files:
# serialise them. The second waits, then finds the stamps and exits quickly.
exec 9>"$ROOT/.lock"
if ! flock -n 9; then
  log "another build holds $ROOT/.lock; waiting for it"
  flock 9
fi

# in_dir DIR CMD...: run CMD in DIR (callers run it in a background subshell).
# shellcheck disable=SC2317  # reached only through run_build's "$@"
in_dir() { cd "$1" && shift && "$@"; }

# gomod_of MODULE@VERSION: path of that module's go.mod in the module cache.
gomod_of() {
  local json f
  json="$(go mod download -json "$1")" || die "cannot download $1: $json"
  f="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$f" ]] || die "go mod download gave no go.mod for $1"
  printf '%s\n' "$f"
}

# go_line GOMOD: the language version ("go 1.26.0") a go.mod declares. A
# wrapper module must declare one too: without it Go assumes 1.16, loses
# module-graph pruning and fetches the go.mod of every module ever mentioned
# in the whole dependency tree, which takes many minutes.
go_line() { awk '$1 == "go" { print $2; exit }' "$1"; }

stamp_ok() { # stamp_ok NAME VERSION BINARY...
  local name="$1" version="$2"; shift 2
  [[ -f "$BIN/.stamp-$name" && "$(cat "$BIN/.stamp-$name")" == "$version" ]] || return 1
  local b
  for b in "$@"; do [[ -x "$BIN/$b" ]] || return 1; done
}

# run_build LABEL CMD...: runs a long command with a heartbeat line every 60 s
# (so CI output shows it is alive) and a hard time limit. Output goes to a log
# file whose tail is shown when it fails.
run_build() {
  local label="$1"; shift
  local logf="$ROOT/build-$label.log"
  local start=$SECONDS
  "$@" >"$logf" 2>&1 &
  local pid=$!
  local beats=0 max_beats=$(( BUILD_TIMEOUT / 60 + 1 ))
  while kill -0 "$pid" 2>/dev/null; do
    # sleep in 1 s steps so a quick build is not held up for a minute
    local i
    for (( i = 0; i < 60; i++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    kill -0 "$pid" 2>/dev/null || break
    beats=$(( beats + 1 ))
    log "$label: still building ($(( SECONDS - start ))s)"
    if (( beats >= max_beats )); then
      log "$label: over ${BUILD_TIMEOUT}s, stopping it"
      kill "$pid" 2>/dev/null || true
      break
    fi
  done
  local rc=0
  wait "$pid" || rc=$?
  if (( rc != 0 )); then
    log "$label: FAILED (exit $rc) after $(( SECONDS - start ))s; last lines of $logf:"
    tail -n 30 "$logf" >&2 || true
    return "$rc"
  fi
  log "$label: done in $(( SECONDS - start ))s"
}

# ---------------------------------------------------------------- kubernetes
build_kube() {
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  if stamp_ok kube "$K8S_VERSION" "${bins[@]}"; then
    log "kubernetes $K8S_VERSION: cached"
    return 0
  fi
  log "kubernetes $K8S_VERSION: preparing wrapper module"

  # k8s.io/kubernetes's own go.mod points every k8s.io/* staging module at
  # ./staging/src/..., and requires them at v0.0.0. Replace directives of a
  # dependency are ignored, so a consumer must pin each one to the published
  # v0.X.Y of the same release itself (kubernetes issue #79384). We derive the
  # list from the downloaded go.mod so it follows whatever the release has.
  local gomod
  gomod="$(gomod_of "k8s.io/kubernetes@$K8S_VERSION")"

  local staging_version="v0.${K8S_VERSION#v1.}"   # v1.37.2 -> v0.37.2
  local w="$SRC/kube"
  rm -rf "$w"; mkdir -p "$w"
  (
    cd "$w"
    printf 'module flk.local/k8s-build\n' > go.mod
    # Same language version and GODEBUG defaults as kubernetes builds with.
    go mod edit -go="$(go_line "$gomod")"
    local gd
    while read -r gd; do
      [[ -n "$gd" ]] && go mod edit -godebug="$gd"
    done < <(awk '$1 == "godebug" && $2 != "(" { print $2 }' "$gomod")
    go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
    # Lines look like "k8s.io/api => ./staging/src/k8s.io/api", either inside
    # a replace ( ... ) block or as "replace k8s.io/api => ./staging/...".
    local mods n=0 m
    mods="$(awk '/=>[[:space:]]*\.\/staging\/src\// {
                   if ($1 == "replace") print $2; else print $1 }' "$gomod")"
    for m in $mods; do
      go mod edit -replace="$m=$m@$staging_version"
      n=$(( n + 1 ))
    done
    (( n > 0 )) || die "found no staging replace lines in $gomod"
    log "kubernetes $K8S_VERSION: pinned $n staging modules to $staging_version"
  )

  local ldflags
  # Version stamps as kubernetes' hack/lib/version.sh sets them, so that
  # /version and `kubectl version` report the release rather than v0.0.0.
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local vpkg
  ldflags="-s -w"
  for vpkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor"
    ldflags+=" -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
  done

  local pkgs=() b
  for b in "${bins[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  log "kubernetes $K8S_VERSION: building ${bins[*]} (one go build; slow on 2 cores)"
  # -mod=mod lets go fill in go.sum for exactly the packages we build.
  # Output to a staging dir and move in place so a killed build leaves no
  # half-written binary behind a stamp.
  rm -rf "$ROOT/out-kube"; mkdir -p "$ROOT/out-kube"
  if ! run_build kube in_dir "$w" go build -mod=mod \
       -ldflags="$ldflags" -o "$ROOT/out-kube/" "${pkgs[@]}"; then
    die "kubernetes $K8S_VERSION did not build; try a neighbouring release, e.g. FLK_K8S_VERSION=v1.36.3 (or GOTOOLCHAIN=go1.27.3 if it asks for a newer Go)"
  fi
  for b in "${bins[@]}"; do mv -f "$ROOT/out-kube/$b" "$BIN/$b"; done
  rmdir "$ROOT/out-kube" 2>/dev/null || true
  printf '%s\n' "$K8S_VERSION" > "$BIN/.stamp-kube"
}

# ---------------------------------------------------------------------- etcd
build_etcd() {
  if stamp_ok etcd "$ETCD_VERSION" etcd; then
    log "etcd $ETCD_VERSION: cached"
    return 0
  fi
  # go.etcd.io/etcd/server/v3 is etcd's main package, but its go.mod has
  # replace directives (to sibling dirs), so `go install pkg@version` refuses
  # it; a one-line wrapper module builds it instead.
  local w="$SRC/etcd"
  rm -rf "$w"; mkdir -p "$w"
  local gomod
  gomod="$(gomod_of "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
  (cd "$w" && printf 'module flk.local/etcd-build\n' > go.mod \
     && go mod edit -go="$(go_line "$gomod")" \
     && go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  log "etcd $ETCD_VERSION: building"
  rm -rf "$ROOT/out-etcd"; mkdir -p "$ROOT/out-etcd"
  if run_build etcd in_dir "$w" go build -mod=mod \
       -ldflags="-s -w" -o "$ROOT/out-etcd/etcd" go.etcd.io/etcd/server/v3; then
    mv -f "$ROOT/out-etcd/etcd" "$BIN/etcd"
    rmdir "$ROOT/out-etcd" 2>/dev/null || true
    printf 'go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$BIN/.etcd-origin"
    printf '%s\n' "$ETCD_VERSION" > "$BIN/.stamp-etcd"
    return 0
  fi
  rmdir "$ROOT/out-etcd" 2>/dev/null || true
  # Fallback: Debian's etcd (older, 3.4.x on bookworm, but apiserver still
  # talks to it). Needs root and the Debian mirror.
  log "etcd $ETCD_VERSION did not build; falling back to Debian's etcd-server"
  if [[ ! -x /usr/bin/etcd ]]; then
    command -v apt-get >/dev/null || die "no apt-get for the etcd fallback"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null \
      || die "apt-get install etcd-server failed"
    # Debian's package starts its own etcd service on the default ports; we run
    # our own on loopback, so make sure the packaged one is not running.
    if command -v systemctl >/dev/null 2>&1; then systemctl stop etcd 2>/dev/null || true; fi
  fi
  cp /usr/bin/etcd "$BIN/etcd"
  # The stamp records the wanted version, so the fallback is not retried on
  # every run; .etcd-origin says where this binary came from.
  printf 'debian etcd-server (wanted %s)\n' "$ETCD_VERSION" > "$BIN/.etcd-origin"
  printf '%s\n' "$ETCD_VERSION" > "$BIN/.stamp-etcd"
}

# ---------------------------------------------------------------------- kwok
build_kwok() {
  local v
  if [[ -x "$BIN/kwok" && -f "$BIN/.stamp-kwok" ]]; then
    local have; have="$(cat "$BIN/.stamp-kwok")"
    for v in $KWOK_VERSIONS; do
      if [[ "$have" == "$v" ]]; then log "kwok $v: cached"; return 0; fi
    done
  fi
  # kwok's go.mod has no replace directives, so plain `go install` works and
  # needs no wrapper. Try each version in turn. A kwok of some other version
  # goes first, so that "no kwok" is never mistaken for "built".
  rm -f "$BIN/kwok" "$BIN/.stamp-kwok"
  for v in $KWOK_VERSIONS; do
    log "kwok $v: building"
    rm -rf "$ROOT/out-kwok"; mkdir -p "$ROOT/out-kwok"
    if run_build "kwok-$v" env GOBIN="$ROOT/out-kwok" \
         go install -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$v"; then
      mv -f "$ROOT/out-kwok/kwok" "$BIN/kwok"
      rmdir "$ROOT/out-kwok" 2>/dev/null || true
      printf '%s\n' "$v" > "$BIN/.stamp-kwok"
      return 0
    fi
  done
  rm -rf "$ROOT/out-kwok"
  log "WARNING: kwok would not build with any of: $KWOK_VERSIONS"
  log "WARNING: pods will not become Ready unless the harness plays the kubelet"
  return 1
}

total_start=$SECONDS
log "cache: $ROOT"
build_kube
build_etcd
kwok_rc=0
build_kwok || kwok_rc=3
log "all done in $(( SECONDS - total_start ))s; binaries in $BIN"
# The bin dir is the only thing on stdout (up.sh reads it); logs go to stderr.
# Exit 3 = everything but kwok built.
printf '%s\n' "$BIN"
exit "$kwok_rc"
