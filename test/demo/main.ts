/**
 * `npm run demo`: the main job on an embedded default.
 *
 *  1. a cluster: $KUBECONFIG, or the local control plane (built once, cached) when it is unset;
 *  2. the CRDs, and the operator running against that cluster;
 *  3. the example SigningKey and FractalLBA, applied and waited for (condition Ready);
 *  4. a backend process configured from what the operator rendered: its ConfigMap for the
 *     environment and its verifier Secret projected into a folder the way kubelet would;
 *  5. a record signed with the key in the signer Secret, submitted and answered, twice;
 *  6. a rotation (annotation), after which a record signed with the new key is accepted too
 *     (`--no-rotate` skips it);
 *  7. the resources' status, then the operator and backend are stopped. A control plane this
 *     command started is left running for a look around (`npm run cluster:down` stops it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseSignerKey, SIGNER_FILE } from '../../pcs/keyfile.ts';
import { formatRecord } from '../../pcs/record.ts';
import { buildRecord, signRecord } from '../../pcs/sign.ts';
import { REPO_ROOT, spawnBackend, submit, type BackendProcess } from '../harness/backend.ts';
import { freePort, waitForPort } from '../harness/ports.ts';
import { projectSecret } from '../harness/secret-projection.ts';
import { makeKubectl, type Kubectl } from './kubectl.ts';

const NAMESPACE = 'flk-demo';
const FLK = 'flk-dev';
const SK = 'agents-ed25519';
const STATE = path.join(REPO_ROOT, '.flk/demo');

const { values } = parseArgs({ options: { 'no-rotate': { type: 'boolean' } } });

function say(line: string): void {
  process.stdout.write(`\n▶ ${line}\n`);
}

function cluster(): string {
  if (process.env.KUBECONFIG) {
    say(`using the cluster of KUBECONFIG=${process.env.KUBECONFIG}`);
    return process.env.KUBECONFIG;
  }
  say('no KUBECONFIG: building (cached) and starting the local control plane');
  execFileSync('bash', ['test/cluster/build.sh'], { cwd: REPO_ROOT, stdio: 'inherit' });
  execFileSync('bash', ['test/cluster/up.sh'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return path.join(REPO_ROOT, '.flk/kubeconfig');
}

async function startOperator(kubeconfig: string): Promise<ChildProcess> {
  const port = await freePort();
  const log = fs.openSync(path.join(STATE, 'operator.log'), 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'operator/main.ts', '--health-addr', `127.0.0.1:${port}`],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, KUBECONFIG: kubeconfig },
      stdio: ['ignore', log, log],
    },
  );
  await waitForPort(port, 60_000);
  say(
    `operator running (pid ${child.pid}, logs in .flk/demo/operator.log, health on 127.0.0.1:${port})`,
  );
  return child;
}

function secretData(kubectl: Kubectl, name: string): Record<string, string> {
  const s = JSON.parse(kubectl(['get', 'secret', name, '-n', NAMESPACE, '-o', 'json'])) as {
    data?: Record<string, string>;
  };
  return s.data ?? {};
}

/** The backend's environment, from the rendered ConfigMap, with paths mapped onto this machine. */
function backendEnv(kubectl: Kubectl, keysRoot: string): Record<string, string> {
  const cm = JSON.parse(
    kubectl(['get', 'configmap', `${FLK}-config`, '-n', NAMESPACE, '-o', 'json']),
  ) as {
    data: Record<string, string>;
  };
  // The pod listens on 0.0.0.0:8080 (admin 9090); here the backend stays on a loopback port of its
  // own, with health and metrics on the same port.
  const { HOST: _host, PORT: _port, ADMIN_PORT: _admin, ...env } = cm.data;
  if (env.PCS_KEYS_DIR)
    env.PCS_KEYS_DIR = env.PCS_KEYS_DIR.split(',')
      .map((d) => path.join(keysRoot, path.basename(d)))
      .join(',');
  return {
    ...env,
    WAL_DIR: path.join(STATE, 'wal'),
    DEDUP_SNAPSHOT: path.join(STATE, 'wal/dedup-snapshot.json'),
    POD_NAME: 'demo-backend',
    PCS_KEYS_POLL: '1s',
    LOG_LEVEL: 'warn',
  };
}

/**
 * A cluster without a storage provisioner (the local control plane has none) never binds the WAL
 * claim, so the pod is never scheduled. There the demo provides a volume for the claim, as an
 * administrator would; kwok runs no containers, so its hostPath is never written.
 */
function provideWalVolume(kubectl: Kubectl): void {
  const classes = JSON.parse(kubectl(['get', 'storageclass', '-o', 'json'])) as {
    items: unknown[];
  };
  if (classes.items.length > 0) return;
  say(`no StorageClass in this cluster: providing a PersistentVolume for claim ${FLK}-wal`);
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${NAMESPACE}-${FLK}-wal` },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        hostPath: { path: `/tmp/${NAMESPACE}-${FLK}-wal` },
        claimRef: { namespace: NAMESPACE, name: `${FLK}-wal` },
      },
    }),
  );
}

async function submitSigned(
  backend: BackendProcess,
  kubectl: Kubectl,
  shard: string,
): Promise<void> {
  const signer = parseSignerKey(
    Buffer.from(secretData(kubectl, `${SK}-signer`)[SIGNER_FILE] ?? '', 'base64').toString('utf8'),
  );
  const record = signRecord(buildRecord({ shard_id: shard, epoch: 1 }), signer);
  for (const attempt of [1, 2]) {
    const r = await submit(backend.url, formatRecord({ ...record, attempt }));
    say(
      `POST /v1/pcs/submit (signed by ${signer.kid}, attempt ${attempt}) → ${r.status}\n${JSON.stringify(r.json, null, 2)}`,
    );
    if (r.status !== 200) throw new Error(`expected 200, got ${r.status}`);
  }
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  fs.rmSync(STATE, { recursive: true, force: true });
  fs.mkdirSync(STATE, { recursive: true });
  const kubeconfig = cluster();
  const kubectl = makeKubectl(REPO_ROOT, kubeconfig);

  say('installing the CRDs (server-side apply)');
  process.stdout.write(kubectl(['apply', '--server-side', '--force-conflicts', '-f', 'crds/']));
  kubectl([
    'wait',
    '--for=condition=Established',
    'crd/fractallbas.flk.fractal-lba.io',
    'crd/signingkeys.flk.fractal-lba.io',
  ]);

  const operator = await startOperator(kubeconfig);
  let backend: BackendProcess | undefined;
  try {
    say(
      `applying examples/signingkey-ed25519.yaml and examples/fractallba-dev.yaml in namespace ${NAMESPACE}`,
    );
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }),
    );
    process.stdout.write(
      kubectl([
        'apply',
        '-n',
        NAMESPACE,
        '-f',
        'examples/signingkey-ed25519.yaml',
        '-f',
        'examples/fractallba-dev.yaml',
      ]),
    );
    provideWalVolume(kubectl);
    say('waiting for both to be Ready (kubectl wait --for=condition=Ready)');
    process.stdout.write(
      kubectl([
        'wait',
        '-n',
        NAMESPACE,
        '--for=condition=Ready',
        `signingkey/${SK}`,
        `fractallba/${FLK}`,
        '--timeout=180s',
      ]),
    );

    const keysRoot = path.join(STATE, 'keys');
    const project = () =>
      projectSecret(path.join(keysRoot, SK), secretData(kubectl, `${SK}-verifier`));
    project();
    backend = await spawnBackend(backendEnv(kubectl, keysRoot));
    say(`backend started from ConfigMap ${FLK}-config and Secret ${SK}-verifier (${backend.url})`);
    await submitSigned(backend, kubectl, 'demo-shard');

    if (!values['no-rotate']) {
      const before = kubectl([
        'get',
        'signingkey',
        SK,
        '-n',
        NAMESPACE,
        '-o',
        'jsonpath={.status.activeKeyId}',
      ]);
      say(`rotating ${SK} now (annotation flk.fractal-lba.io/rotate); active key ${before}`);
      kubectl([
        'annotate',
        '--overwrite',
        'signingkey',
        SK,
        '-n',
        NAMESPACE,
        `flk.fractal-lba.io/rotate=${new Date().toISOString()}`,
      ]);
      // The operator adds the new key to the verifier Secret first; the backend gets it here the
      // way kubelet would deliver it, and only then does the operator promote it for signing.
      await waitFor('the new key to become active', () => {
        project();
        const now = kubectl([
          'get',
          'signingkey',
          SK,
          '-n',
          NAMESPACE,
          '-o',
          'jsonpath={.status.activeKeyId}',
        ]);
        return now !== '' && now !== before;
      });
      project();
      const ids = async () =>
        ((await fetch(`${backend?.url}/ready`).then((r) => r.json())) as { keyIds: string[] })
          .keyIds;
      await waitFor(
        'the backend to load the new key',
        async () => (await ids()).length >= 2,
        30_000,
      );
      say(`backend now verifies with ${(await ids()).join(', ')}`);
      await submitSigned(backend, kubectl, 'demo-shard-after-rotation');
    }

    say('status');
    process.stdout.write(kubectl(['get', 'signingkeys,fractallbas', '-n', NAMESPACE]));
    process.stdout.write(
      kubectl([
        'get',
        'fractallba',
        FLK,
        '-n',
        NAMESPACE,
        '-o',
        'jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\\n"}{end}',
      ]),
    );
    process.stdout.write(
      kubectl([
        'get',
        'deployment,service,configmap,pvc,cronjob,networkpolicy,serviceaccount',
        '-n',
        NAMESPACE,
      ]),
    );
  } finally {
    await backend?.stop('SIGTERM');
    operator.kill('SIGTERM');
    await new Promise((r) => operator.once('exit', r));
  }
  say(
    process.env.KUBECONFIG
      ? 'done'
      : 'done. The local control plane is still running: KUBECONFIG=.flk/kubeconfig; stop it with npm run cluster:down',
  );
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n(operator logs: .flk/demo/operator.log)\n`);
  process.exit(1);
});
