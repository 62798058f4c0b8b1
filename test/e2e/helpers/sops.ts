/**
 * sops and age for the GitOps key test, run the way a person or a GitOps tool runs them. Every
 * run gets an environment of its own — an empty HOME and XDG_CONFIG_HOME, and no SOPS_AGE_*
 * variable but the identity file the call names — so an identity of the machine's
 * (~/.config/sops/age/keys.txt, ~/.ssh/id_ed25519, $SOPS_AGE_KEY) can never decrypt by accident.
 * A missing tool throws with what to install: the test fails, it is never skipped.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';

import { REPO } from './cluster.ts';

/** Bound of one sops or age-keygen run; each takes milliseconds. */
const RUN_TIMEOUT_MS = 60_000;
/** test/tools/sops.sh builds sops when it is not cached yet: about a minute with a warm Go cache. */
const BUILD_TIMEOUT_MS = 540_000;

/** encrypted_regex of examples/sops/.sops.yaml: only the values of a Secret are encrypted. */
export const ENCRYPTED_REGEX = '^(data|stringData)$';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The sops binary: `$FLK_SOPS` (CI sets it), else the one test/tools/sops.sh finds or builds. */
export function findSops(): string {
  const fromEnv = process.env.FLK_SOPS;
  if (fromEnv) {
    assertExecutable(fromEnv, 'FLK_SOPS names');
    return fromEnv;
  }

  const built = spawnSync('bash', [path.join(REPO, 'test/tools/sops.sh')], {
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const bin = built.stdout?.trim().split('\n').at(-1) ?? '';
  if (built.status !== 0 || bin === '') {
    const why = built.error?.message ?? built.stderr?.trim().split('\n').at(-1) ?? '';
    throw new Error(
      `sops is not available: set FLK_SOPS to a sops binary, or let test/tools/sops.sh build it (needs go; it exited ${built.status}: ${why})`,
    );
  }
  assertExecutable(bin, 'test/tools/sops.sh printed');
  return bin;
}

function assertExecutable(file: string, where: string): void {
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new Error(`sops is not available: ${where} ${file}, which is not an executable file`);
  }
}

/** An age identity of the test's own: the file (what never goes into Git) and its recipient. */
export interface AgeIdentity {
  file: string;
  recipient: string;
}

/** `age-keygen -o FILE`, then `age-keygen -y FILE` for the recipient (age1...). */
export function ageKeygen(file: string): AgeIdentity {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const made = run('age-keygen', ['-o', file], { cwd: path.dirname(file), env: {} });
  if (made.code !== 0) throw new Error(`age-keygen -o ${file} failed: ${made.stderr.trim()}`);

  const shown = run('age-keygen', ['-y', file], { cwd: path.dirname(file), env: {} });
  const recipient = shown.stdout.trim();
  if (shown.code !== 0 || !recipient.startsWith('age1'))
    throw new Error(`age-keygen -y ${file} printed no recipient: ${shown.stderr.trim()}`);
  return { file, recipient };
}

/** sops with an environment of its own under `home` (created empty). */
export class Sops {
  constructor(
    readonly bin: string,
    private readonly home: string,
  ) {
    mkdirSync(path.join(home, '.config'), { recursive: true, mode: 0o700 });
  }

  /** Runs sops in `cwd`; with `identityFile`, as a GitOps tool decrypts (SOPS_AGE_KEY_FILE). */
  run(args: string[], o: { cwd: string; identityFile?: string }): RunResult {
    const env: Record<string, string> = {
      HOME: this.home,
      XDG_CONFIG_HOME: path.join(this.home, '.config'),
      // Only `sops --version` would look for a newer release; never let anything reach out.
      SOPS_DISABLE_VERSION_CHECK: 'true',
    };
    if (o.identityFile) env.SOPS_AGE_KEY_FILE = o.identityFile;
    return run(this.bin, args, { cwd: o.cwd, env });
  }
}

function run(
  command: string,
  args: string[],
  o: { cwd: string; env: Record<string, string> },
): RunResult {
  const result = spawnSync(command, args, {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...o.env },
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    const install =
      command === 'age-keygen'
        ? 'install the Debian package age (bash test/prereqs.sh)'
        : 'check FLK_SOPS or test/tools/sops.sh';
    throw new Error(`${command} is not installed: ${install}`);
  }
  if (result.error) throw new Error(`${command} ${args[0] ?? ''}: ${result.error.message}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
