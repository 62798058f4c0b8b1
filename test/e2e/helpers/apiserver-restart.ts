/**
 * Restarting the local control plane's kube-apiserver, for tests that show the operator rides it
 * out. Only the control plane of test/cluster/ can be restarted this way (its pid file and
 * command line are known); against any other cluster the test that needs it is skipped.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { LOCAL_KUBECONFIG, REPO, kubeconfigPath } from './cluster.ts';
import { waitFor } from './wait.ts';

const PID_FILE = path.join(REPO, '.flk/cluster/pids/kube-apiserver.pid');
const LOG_FILE = path.join(REPO, '.flk/cluster/logs/kube-apiserver.log');

export function canRestartApiServer(): boolean {
  return path.resolve(kubeconfigPath()) === LOCAL_KUBECONFIG && existsSync(PID_FILE);
}

/**
 * Running, as opposed to gone or a zombie: the control plane's daemons are re-parented to the
 * machine's init, which may reap them late, and kill(pid, 0) succeeds on a zombie.
 */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Stops kube-apiserver (SIGTERM, then SIGKILL if it is still draining watches after 15 s), waits,
 * and starts it again with the same command line.
 */
export async function restartApiServer(downMs = 3_000): Promise<void> {
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor('kube-apiserver to exit after SIGTERM', 15_000, () => !alive(pid), 200);
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitFor('kube-apiserver to exit after SIGKILL', 30_000, () => !alive(pid), 200);
  }
  await new Promise((r) => setTimeout(r, downMs));

  const log = openSync(LOG_FILE, 'a');
  const child = spawn(argv[0] as string, argv.slice(1), {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  writeFileSync(PID_FILE, `${child.pid}\n`);
}
