#!/usr/bin/env bash
# Builds sops (github.com/getsops/sops/v3, for the GitOps key test and docs/gitops-keys.md) from
# its Go module, through the Go module proxy, into ${FLK_CACHE:-$HOME/.cache/flk}/tools/, outside
# the repository, once per version, and prints the binary's path on stdout. A second run only
# prints the path. Build messages go to stderr, so `FLK_SOPS="$(bash test/tools/sops.sh)"` works.
#
#   bash test/tools/sops.sh          build if needed, print the path
#
# Environment: FLK_SOPS_VERSION (default v3.13.3), FLK_CACHE, FLK_BUILD_TIMEOUT (seconds the
# build may take, default 1800). Never run `sops --version` in CI: it asks GitHub for the latest
# release unless --disable-version-check is given.
set -euo pipefail

VERSION="${FLK_SOPS_VERSION:-v3.13.3}"
TOOLS="${FLK_CACHE:-$HOME/.cache/flk}/tools/sops-$VERSION"
BIN="$TOOLS/sops"
BUILD_TIMEOUT="${FLK_BUILD_TIMEOUT:-1800}"

if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "sops.sh: go is not installed (needed to build sops)" >&2; exit 1; }
mkdir -p "$TOOLS"

# Two callers at once (CI and a test run, say) build once: the second waits, then finds the binary.
exec 9>"$TOOLS/.lock"
flock 9
if [[ ! -x "$BIN" ]]; then
  echo "sops.sh: building github.com/getsops/sops/v3 $VERSION into $TOOLS" >&2
  staging="$(mktemp -d "$TOOLS/.build.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  # Outside the repository and any go.work; no toolchain download behind our back. Installed
  # into a staging folder and renamed, so an interrupted build never leaves a half-written binary.
  (cd "$staging" && GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$staging" \
    timeout "$BUILD_TIMEOUT" go install -trimpath -ldflags='-s -w' \
    "github.com/getsops/sops/v3/cmd/sops@$VERSION")
  mv "$staging/sops" "$BIN"
fi

echo "$BIN"
