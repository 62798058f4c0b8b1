/**
 * The backend's environment (DESIGN §3), rendered into `<name>-config` and loaded with envFrom.
 * Connection strings and credentials are not here: the Deployment takes them from their Secrets
 * with secretKeyRef (see `secretEnv`).
 */
import { ConfigMap } from 'cdk8s-plus-34';
import { BACKEND, BACKEND_ENV as E } from '../operator/api/constants.ts';
import { canonicalDuration } from '../operator/api/duration.ts';
import { keyDir, sortedKeys } from './keys.ts';
import { COMPONENTS, SUFFIX, childMetadata } from './metadata.ts';
import { synth } from './synth.ts';
import { ingestPort, tlsEnv } from './tls.ts';
import type { KubeManifest, RenderInput } from './types.ts';

export function backendEnv(input: RenderInput): Record<string, string> {
  const { spec } = input;
  const env: Record<string, string> = {
    [E.port]: String(ingestPort(input).containerPort),
    [E.host]: '0.0.0.0',
    [E.adminPort]: String(BACKEND.adminPort),
    ...tlsEnv(input),
    [E.logLevel]: spec.logLevel,
  };

  if (spec.signing.mode === 'none') env[E.signAlg] = 'none';
  const keys = sortedKeys(input);
  if (spec.signing.mode === 'keys' && keys.length > 0) env[E.keysDir] = keys.map(keyDir).join(',');

  env[E.dedupBackend] = spec.dedup.backend;
  env[E.dedupTtl] = canonicalDuration(spec.dedup.ttl);
  if (spec.dedup.backend === 'memory')
    env[E.dedupSnapshot] = `${BACKEND.walDir}/dedup-snapshot.json`;

  env[E.walDir] = BACKEND.walDir;
  env[E.walRetention] = canonicalDuration(spec.wal.retention);
  env[E.tokenRate] = String(spec.rateLimit.tokensPerSecond);
  env[E.tokenBurst] = String(spec.rateLimit.burst);

  const v = spec.verify;
  env[E.verifyTolD] = decimal(v.tolD);
  env[E.verifyTolCoh] = decimal(v.tolCoh);
  env[E.verifyAlpha] = decimal(v.alpha);
  env[E.verifyBeta] = decimal(v.beta);
  env[E.verifyGamma] = decimal(v.gamma);
  env[E.verifyBase] = decimal(v.base);
  env[E.verifyD0] = decimal(v.d0);
  return env;
}

/**
 * A number in plain decimal notation (`0.0000001`, never `1e-7`): the backend reads
 * `-?digits(.digits)?` only.
 */
export function decimal(n: number): string {
  const text = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;

  const [, sign, int, frac = '', exp] = m;
  const digits = `${int}${frac}`;
  const point = int!.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`.replace(/0+$/, '');
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

export function renderConfigMap(input: RenderInput, data: Record<string, string>): KubeManifest[] {
  return synth(input.flk.namespace, (chart) => {
    new ConfigMap(chart, 'config', {
      metadata: childMetadata(input, { suffix: SUFFIX.config, component: COMPONENTS.config }),
      data,
    });
  });
}
