#!/usr/bin/env bash
# Installs what the test suite and the demo need from Debian's packages when it is missing:
# Redis and PostgreSQL servers (started by the tests themselves on loopback ports of their
# own, never as system services), Lua 5.1 for the Argo CD health checks, promtool, openssl, and
# age (the GitOps key test encrypts with sops, built by test/tools/sops.sh, to an age identity).
# As a non-root user it only says what is missing.
set -euo pipefail

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
command -v openssl >/dev/null || missing+=(openssl)
command -v flock >/dev/null || missing+=(util-linux)
command -v promtool >/dev/null || missing+=(prometheus)  # promtool, for the alert rule tests
# The Argo CD health checks run in Lua 5.1 (Argo CD's gopher-lua dialect).
command -v lua5.1 >/dev/null || missing+=(lua5.1)
# actionlint checks the shell of every workflow `run:` step with shellcheck when it is installed.
command -v shellcheck >/dev/null || missing+=(shellcheck)
# age and age-keygen, for test/e2e/signingkey-sops.test.ts and docs/gitops-keys.md.
{ command -v age && command -v age-keygen; } >/dev/null || missing+=(age)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "prereqs: missing Debian packages: ${missing[*]} (install them: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "prereqs: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postinst may start the system services where an init system runs; the tests start
# their own servers on other ports, so any such service is left alone.
