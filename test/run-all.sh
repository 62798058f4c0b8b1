#!/usr/bin/env bash
# The whole test suite: unit, integration (real Redis and PostgreSQL, started by the tests),
# and e2e against a real Kubernetes API server. With KUBECONFIG set, e2e runs against that
# cluster; without it, the local control plane is built (cached) and started here, and
# stopped again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/prereqs.sh

echo "== unit and integration tests" >&2
npx vitest run --project unit --project integration

if [ -z "${KUBECONFIG:-}" ]; then
  echo "== local control plane" >&2
  bash test/cluster/build.sh
  # A control plane that was already running (a developer's) is left running afterwards.
  if [ -d .flk/cluster/pids ] && [ -f .flk/kubeconfig ]; then
    bash test/cluster/up.sh >/dev/null
  else
    bash test/cluster/up.sh >/dev/null
    trap 'bash test/cluster/down.sh' EXIT
  fi
  export KUBECONFIG="$PWD/.flk/kubeconfig"
fi

echo "== e2e tests against the cluster of $KUBECONFIG" >&2
npx vitest run --project e2e
