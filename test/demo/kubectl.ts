import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * kubectl as a person would run it: the local control plane's own build when it is the target,
 * otherwise whatever `kubectl` is on PATH.
 */
export function kubectlBinary(repoRoot: string): string {
  const marker = path.join(repoRoot, '.flk/cluster/bin');
  if (fs.existsSync(marker)) {
    const bin = path.join(fs.readFileSync(marker, 'utf8').trim(), 'kubectl');
    if (fs.existsSync(bin)) return bin;
  }
  return 'kubectl';
}

export function makeKubectl(repoRoot: string, kubeconfig: string) {
  const bin = kubectlBinary(repoRoot);
  return (args: string[], input?: string): string => {
    try {
      return execFileSync(bin, args, {
        env: { ...process.env, KUBECONFIG: kubeconfig },
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, {
        cause: err,
      });
    }
  };
}

export type Kubectl = ReturnType<typeof makeKubectl>;
