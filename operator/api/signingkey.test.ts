import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SIGNINGKEY_RULES, resolveSigningKey } from './signingkey.ts';

const errorsOf = (spec: unknown) => {
  const r = resolveSigningKey({ spec });
  return r.ok ? [] : r.errors;
};
const message = (field: string, fragment: string) =>
  SIGNINGKEY_RULES.find((r) => r.field === field && r.message.includes(fragment))!.message;

describe('resolveSigningKey', () => {
  it('applies every default, schemes by algorithm included', () => {
    const r = resolveSigningKey({ spec: { algorithm: 'hmac-sha256' } });
    expect(r).toEqual({
      ok: true,
      spec: {
        algorithm: 'hmac-sha256',
        schemes: ['hmac-sha256'],
        rotationInterval: '30d',
        overlap: '14d',
        source: { mode: 'generate' },
        rolloutTimeout: '10m',
        historyLimit: 5,
      },
    });
    const ed = resolveSigningKey({ spec: { algorithm: 'ed25519' } });
    expect(ed.ok && ed.spec.schemes).toEqual(['ed25519']);
  });

  it('requires the algorithm, naming the field', () => {
    expect(errorsOf({})).toEqual([expect.stringMatching(/^spec\.algorithm: /)]);
  });

  it('refuses an overlap as long as the interval: the interval must be longer than the overlap', () => {
    const want = message('overlap', 'the interval must be longer than the overlap');
    expect(errorsOf({ algorithm: 'ed25519', rotationInterval: '1d', overlap: '24h' })).toEqual([
      `spec.overlap: ${want}`,
    ]);
    // The default interval (30d) applies when only the overlap is set.
    expect(errorsOf({ algorithm: 'ed25519', overlap: '31d' })).toEqual([`spec.overlap: ${want}`]);
    expect(errorsOf({ algorithm: 'ed25519', rotationInterval: '40s', overlap: '20s' })).toEqual([]);
  });

  it('refuses a scheme the algorithm cannot sign, in both directions', () => {
    const want = `spec.schemes: ${message('schemes', 'must suit')}`;
    expect(errorsOf({ algorithm: 'hmac-sha256', schemes: ['ed25519'] })).toEqual([want]);
    expect(errorsOf({ algorithm: 'ed25519', schemes: ['hmac-sha256-payload'] })).toEqual([want]);
    expect(
      errorsOf({ algorithm: 'hmac-sha256', schemes: ['hmac-sha256', 'hmac-sha256-payload'] }),
    ).toEqual([]);
  });

  it('refuses an import without a Secret, and a Secret without import', () => {
    expect(errorsOf({ algorithm: 'ed25519', source: { mode: 'import' } })).toEqual([
      `spec.source.secretRef: ${message('source.secretRef', 'needs spec.source.secretRef.name')}`,
    ]);
    expect(errorsOf({ algorithm: 'ed25519', source: { secretRef: { name: 'k' } } })).toEqual([
      `spec.source.secretRef: ${message('source.secretRef', 'read only when')}`,
    ]);
    const imported = resolveSigningKey({
      spec: { algorithm: 'ed25519', source: { mode: 'import', secretRef: { name: 'k' } } },
    });
    expect(imported.ok && imported.spec.source).toEqual({
      mode: 'import',
      secretRef: { name: 'k', key: 'key' },
    });
  });

  it('reports malformed fields all at once, each with its path', () => {
    const errors = errorsOf({ algorithm: 'rsa', rotationInterval: '3w', historyLimit: -1 });
    expect(errors.map((e) => e.split(':')[0])).toEqual([
      'spec.algorithm',
      'spec.rotationInterval',
      'spec.historyLimit',
    ]);
    expect(errors[1]).toContain('a duration such as 20s, 15m, 1h30m, 336h or 14d');
  });

  it.each(['signingkey-ed25519', 'signingkey-hmac'])('accepts examples/%s.yaml', (name) => {
    const text = readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8');
    expect(resolveSigningKey(parse(text)).ok).toBe(true);
  });
});
