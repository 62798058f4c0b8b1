/**
 * What `npm run synth` can be told. Every option has a default that gives the standard install;
 * all of a command line is validated at once and each problem names its flag.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** The version in package.json: the default image tag and the `app.kubernetes.io/version` label. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export interface InstallOptions {
  /** Namespace the operator runs in (created by the manifest). Default `flk-system`. */
  namespace: string;
  /**
   * Name of the operator's ServiceAccount, Deployment, Service and Lease, and the prefix of its
   * cluster-scoped RBAC objects. Default `flk-operator`; a second install in one cluster (the
   * e2e tests) needs another.
   */
  name: string;
  /** Operator image. Default `ghcr.io/fractal-lba/flk-operator:<version>`. */
  image: string;
  /** `IfNotPresent` by default; kind-loaded images need it (they cannot be pulled). */
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Namespaces to watch. Empty (the default): every namespace, with a ClusterRole. Otherwise a
   * Role and RoleBinding in each, and no cluster-wide permission at all; the namespaces must exist.
   */
  watchNamespaces: string[];
  /** Operator pods (leader-elected: one reconciles, the others stand by). Default 2. */
  replicas: number;
  /** Render a ServiceMonitor for the operator's metrics (needs the Prometheus Operator CRDs). */
  serviceMonitor: boolean;
  /** Value of `app.kubernetes.io/version`. Default: package.json's version. */
  version: string;
  logLevel: string;
}

export function defaultOptions(): InstallOptions {
  const version = packageVersion();
  return {
    namespace: 'flk-system',
    name: 'flk-operator',
    image: `ghcr.io/fractal-lba/flk-operator:${version}`,
    imagePullPolicy: 'IfNotPresent',
    watchNamespaces: [],
    replicas: 2,
    serviceMonitor: false,
    version,
    logLevel: 'info',
  };
}

export class InstallOptionsError extends Error {
  override readonly name = 'InstallOptionsError';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

export const USAGE = `npm run synth -- [options]
  --out DIR              where to write install.yaml, crds.yaml, operator.yaml (default dist)
  --namespace NS         the operator's namespace (default flk-system)
  --name NAME            ServiceAccount, Deployment, Lease and RBAC name (default flk-operator)
  --image IMAGE          operator image (default ghcr.io/fractal-lba/flk-operator:<version>)
  --image-pull-policy P  Always | IfNotPresent | Never (default IfNotPresent)
  --namespaces A,B       watch only these namespaces, with Roles instead of a ClusterRole
  --replicas N           operator pods, leader-elected (default 2)
  --service-monitor      also render a ServiceMonitor for the operator's metrics
  --version V            app.kubernetes.io/version label (default package.json's version)
  --log-level L          trace | debug | info | warn | error (default info)`;

/** Parses the command line; throws one InstallOptionsError listing every bad flag. */
export function parseInstallArgs(argv: readonly string[]): {
  options: InstallOptions;
  outDir: string;
} {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        namespace: { type: 'string' },
        name: { type: 'string' },
        image: { type: 'string' },
        'image-pull-policy': { type: 'string' },
        namespaces: { type: 'string' },
        replicas: { type: 'string' },
        'service-monitor': { type: 'boolean' },
        version: { type: 'string' },
        'log-level': { type: 'string' },
      },
    }).values;
  } catch (err) {
    throw new InstallOptionsError(`${(err as Error).message}\n${USAGE}`);
  }
  const str = (key: string) => values[key] as string | undefined;
  const defaults = defaultOptions();
  const options: InstallOptions = {
    namespace: str('namespace') ?? defaults.namespace,
    name: str('name') ?? defaults.name,
    image: str('image') ?? defaults.image,
    imagePullPolicy: (str('image-pull-policy') ??
      defaults.imagePullPolicy) as InstallOptions['imagePullPolicy'],
    watchNamespaces: (str('namespaces') ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
    replicas: str('replicas') === undefined ? defaults.replicas : Number(str('replicas')),
    serviceMonitor: values['service-monitor'] === true,
    version: str('version') ?? defaults.version,
    logLevel: str('log-level') ?? defaults.logLevel,
  };
  validateInstallOptions(options);
  return { options, outDir: path.resolve(str('out') ?? path.join(REPO_ROOT, 'dist')) };
}

/** Throws one InstallOptionsError naming every option that cannot work. */
export function validateInstallOptions(o: InstallOptions): void {
  const problems: string[] = [];
  if (!DNS_LABEL.test(o.namespace) || o.namespace.length > 63) {
    problems.push(`--namespace: "${o.namespace}" is not a namespace name`);
  }
  if (!DNS_LABEL.test(o.name) || o.name.length > 52) {
    problems.push(
      `--name: "${o.name}" must be a DNS label of at most 52 characters (suffixes are added)`,
    );
  }
  for (const ns of o.watchNamespaces) {
    if (!DNS_LABEL.test(ns)) problems.push(`--namespaces: "${ns}" is not a namespace name`);
  }
  if (new Set(o.watchNamespaces).size !== o.watchNamespaces.length) {
    problems.push('--namespaces: a namespace is listed twice');
  }
  if (!o.image || /\s/.test(o.image))
    problems.push(`--image: "${o.image}" is not an image reference`);
  if (!(PULL_POLICIES as readonly string[]).includes(o.imagePullPolicy)) {
    problems.push(
      `--image-pull-policy: must be ${PULL_POLICIES.join(', ')} (got "${o.imagePullPolicy}")`,
    );
  }
  if (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 10) {
    problems.push(`--replicas: must be a whole number from 1 to 10 (got "${o.replicas}")`);
  }
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(o.version)) {
    problems.push(`--version: "${o.version}" is not a valid label value`);
  }
  if (!LOG_LEVELS.includes(o.logLevel)) {
    problems.push(`--log-level: must be ${LOG_LEVELS.join(', ')} (got "${o.logLevel}")`);
  }
  if (problems.length > 0) throw new InstallOptionsError(problems.join('\n'));
}
