#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint, built from its Go module (through the Go module
# proxy) into ${FLK_CACHE:-$HOME/.cache/flk}/tools/, outside the repository, once per version.
# actionlint also runs shellcheck on every `run:` step when shellcheck is installed
# (test/prereqs.sh installs it).
#
#   bash .ci/actionlint.sh               lint .github/workflows/*.yaml
#   bash .ci/actionlint.sh FILE...       lint these files
#   bash .ci/actionlint.sh --print-path  build if needed, print the binary's path
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${FLK_ACTIONLINT_VERSION:-v1.7.12}"
TOOLS="${FLK_CACHE:-$HOME/.cache/flk}/tools/actionlint-$VERSION"
BIN="$TOOLS/actionlint"

if [[ ! -x "$BIN" ]]; then
  command -v go >/dev/null || { echo "actionlint.sh: go is not installed" >&2; exit 1; }
  echo "actionlint.sh: building github.com/rhysd/actionlint $VERSION into $TOOLS" >&2
  mkdir -p "$TOOLS"
  # Built outside the repository and any go.work; no toolchain download behind our back.
  (cd "$TOOLS" && GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$TOOLS" \
    go install -trimpath -ldflags='-s -w' "github.com/rhysd/actionlint/cmd/actionlint@$VERSION")
fi

if [[ "${1:-}" == "--print-path" ]]; then
  echo "$BIN"
  exit 0
fi
if [[ $# -eq 0 ]]; then
  set -- .github/workflows/*.yaml
fi
exec "$BIN" -no-color "$@"
