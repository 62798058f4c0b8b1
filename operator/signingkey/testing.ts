/**
 * A simulated SigningKey for the state machine's tests (not shipped code paths): what the API
 * server would persist (status and the two Secrets, round-tripped through their wire form), a
 * clock, consumers whose rollouts the test moves, and deterministic key minting. `run()` plans one
 * reconcile and persists its writes in the controller's order — signer Secret, verifier Secret,
 * status — optionally stopping after the first `crashAfter` of them, as a killed operator would.
 */
import { createHash } from 'node:crypto';

import { ed25519PrivateKeyFromSeed, ed25519PublicKeyBytes } from '../../pcs/ed25519.ts';
import type { SignerKeyFile } from '../../pcs/keyfile.ts';
import { ed25519KeyId, hmacKeyId } from '../../pcs/keygen.ts';
import {
  resolveSigningKey,
  type SigningKeySpec,
  type SigningKeyStatus,
} from '../api/signingkey.ts';
import { canonicalJson } from '../kube/canonical.ts';
import type { KubeObject } from '../kube/types.ts';
import { planRotation } from './plan.ts';
import {
  readSignerSecret,
  readVerifierSecret,
  signerSecretObject,
  verifierSecretObject,
  type SigningKeyRef,
} from './secrets.ts';
import type { Consumer, PlannedEvent, RotationOutput, SourceState } from './types.ts';

export const START = Date.UTC(2030, 0, 1, 12, 0, 0);
export const OWNER: SigningKeyRef = { name: 'agents', namespace: 'ingest', uid: 'sk-uid-1' };

/** Deterministic key material: the n-th key of a test. */
export function testKey(n: number, alg: 'ed25519' | 'hmac-sha256' = 'ed25519'): SignerKeyFile {
  const bytes = createHash('sha256').update(`flk test key ${alg} ${n}`).digest();
  if (alg === 'hmac-sha256') {
    return {
      kid: hmacKeyId(bytes),
      alg,
      scheme: 'hmac-sha256',
      secret_b64: bytes.toString('base64'),
    };
  }
  const kid = ed25519KeyId(ed25519PublicKeyBytes(ed25519PrivateKeyFromSeed(bytes)));
  return { kid, alg, scheme: 'ed25519', seed_b64: bytes.toString('base64') };
}

export interface SimOptions {
  spec?: Partial<SigningKeySpec>;
  consumers?: string[];
  /** Dedup TTL of every consumer (default 10s, shorter than any overlap used here). */
  dedupTtl?: string;
}

export interface RunResult {
  output: RotationOutput;
  /** Which writes reached the "API server". */
  written: Array<'signer' | 'verifier' | 'status'>;
  events: PlannedEvent[];
}

export class Sim {
  now = START;
  spec: SigningKeySpec;
  generation = 1;
  annotations: Record<string, string> = {};
  status: SigningKeyStatus | undefined;
  signerSecret: KubeObject | undefined;
  verifierSecret: KubeObject | undefined;
  consumers: Consumer[];
  source: SourceState | undefined;
  minted: string[] = [];
  /** Called after every single write, to check invariants at each persisted intermediate state. */
  afterEachWrite: ((what: 'signer' | 'verifier' | 'status') => void) | undefined;
  /** Events recorded so far (only runs whose status write landed record theirs). */
  events: PlannedEvent[] = [];
  private mintCount = 0;

  constructor(options: SimOptions = {}) {
    this.spec = {
      algorithm: 'ed25519',
      rotationInterval: '40s',
      overlap: '20s',
      rolloutTimeout: '30s',
      ...options.spec,
    };
    this.consumers = (options.consumers ?? []).map((name) => ({
      name,
      dedupTtl: options.dedupTtl ?? '10s',
      rollout: {
        keyIds: [],
        complete: true,
        message: `Deployment ${name}: 1 of 1 replica available`,
      },
    }));
  }

  advance(ms: number): void {
    this.now += ms;
  }

  /** One reconcile; `crashAfter` = how many of its writes land before the operator dies. */
  run(crashAfter = Infinity): RunResult {
    const resolved = resolveSigningKey({ spec: this.spec });
    if (!resolved.ok) throw new Error(resolved.errors.join('; '));
    const spec = resolved.spec;

    const output = planRotation({
      now: new Date(this.now),
      owner: OWNER,
      generation: this.generation,
      spec,
      rotateRequest: this.annotations['flk.fractal-lba.io/rotate'],
      status: this.status,
      signer: readSignerSecret(this.signerSecret, OWNER),
      verifier: readVerifierSecret(this.verifierSecret, OWNER),
      consumers: this.consumers.map((c) => ({
        ...c,
        rollout: { ...c.rollout, keyIds: [...c.rollout.keyIds] },
      })),
      source: this.source,
      mint: () => {
        const key = testKey(++this.mintCount, spec.algorithm);
        this.minted.push(key.kid);
        return { ...key, scheme: spec.schemes[0] ?? key.scheme };
      },
    });

    const signer = signerSecretObject(OWNER, 'agents-signer', output.signer);
    const verifier = verifierSecretObject(OWNER, 'agents-verifier', output.verifierFiles);
    const writes: Array<['signer' | 'verifier' | 'status', () => void, boolean]> = [
      ['signer', () => (this.signerSecret = signer), changed(this.signerSecret, signer)],
      ['verifier', () => (this.verifierSecret = verifier), changed(this.verifierSecret, verifier)],
      [
        'status',
        () => (this.status = output.status),
        canonicalJson(output.status) !== canonicalJson(this.status ?? {}),
      ],
    ];
    const written: RunResult['written'] = [];
    for (const [name, write, needed] of writes) {
      if (!needed) continue;
      if (written.length >= crashAfter) break;
      write();
      written.push(name);
      this.afterEachWrite?.(name);
    }
    if (written.includes('status')) this.events.push(...output.events);
    return { output, written, events: written.includes('status') ? output.events : [] };
  }

  /** Runs until a run writes nothing (bounded), crashing after `crashAfter` writes each time. */
  settle(crashAfter = Infinity, maxRuns = 20): RunResult[] {
    const runs: RunResult[] = [];
    for (let i = 0; i < maxRuns; i++) {
      const r = this.run(crashAfter);
      runs.push(r);
      if (r.written.length === 0) return runs;
    }
    throw new Error(`did not settle in ${maxRuns} runs`);
  }

  /** Every consumer rolls out the verifier Secret as it is now (what FractalLBA + kwok do). */
  rollOut(only?: string[]): void {
    const kids = this.verifierKids();
    for (const c of this.consumers) {
      if (only && !only.includes(c.name)) continue;
      c.rollout = {
        keyIds: kids,
        complete: true,
        message: `Deployment ${c.name}: 1 of 1 replica available`,
      };
    }
  }

  /** A consumer takes the new template but its pods are not available yet. */
  startRollout(name: string): void {
    const c = this.consumers.find((x) => x.name === name)!;
    c.rollout = {
      keyIds: this.verifierKids(),
      complete: false,
      message: 'waiting for 1 of 1 replica to become available',
    };
  }

  state(kid: string): string | undefined {
    return this.status?.keys?.find((k) => k.kid === kid)?.state;
  }

  states(): string[] {
    return (this.status?.keys ?? []).map((k) => `${k.kid}:${k.state}`);
  }

  signerFile(slot: 'signer.json' | 'pending.json'): SignerKeyFile | undefined {
    const value = (this.signerSecret as { data?: Record<string, string> } | undefined)?.data?.[
      slot
    ];
    return value
      ? (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as SignerKeyFile)
      : undefined;
  }

  verifierFiles(): Record<string, { state?: string; not_after?: string }> {
    const data = (this.verifierSecret as { data?: Record<string, string> } | undefined)?.data ?? {};
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [
        k.replace(/\.json$/, ''),
        JSON.parse(Buffer.from(v, 'base64').toString('utf8')),
      ]),
    );
  }

  verifierKids(): string[] {
    return Object.keys(this.verifierFiles()).sort();
  }

  condition(type: string) {
    return this.status?.conditions?.find((c) => c.type === type);
  }
}

function changed(live: KubeObject | undefined, desired: KubeObject): boolean {
  return canonicalJson(live ?? null) !== canonicalJson(desired);
}
