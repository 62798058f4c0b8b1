// parsePcs: every class of bad input gets its code and field; well-typed values that are
// semantically wrong pass through to the 202 checks; the result is a clean typed copy.
import { describe, expect, it } from 'vitest';

import { parsePcs } from './parse.ts';
import type { PcsInputErrorCode } from './parse.ts';

const VALID = {
  pcs_id: 'f811f6e7a27112f8687417eaf908420eab07090a15693af5d3cc386b4416301b',
  schema: 'fractal-lba-kakeya',
  version: '0.1',
  shard_id: 'golden-a',
  epoch: 3,
  attempt: 1,
  sent_at: '2026-11-30T10:00:00Z',
  seed: 7,
  scales: [2, 4, 8, 16, 32],
  N_j: { '2': 3, '4': 5, '8': 9, '16': 17, '32': 31 },
  coh_star: 0.73,
  v_star: [0.1, 0.2, 0.97],
  D_hat: 0.866733469,
  r: 0.87,
  regime: 'sticky',
  budget: 0.285,
  merkle_root: '96bd25f16e016cf074163dfcf439059337df4881aa3448a7374273391ea5800a',
  sig: '/i+PC5h1nphyqljgfr/RSmIK85rW34p0LopQvrL6ZSA=',
  ft: { outbox_seq: 1, degraded: false, fallbacks: [], clock_skew_ms: 0 },
};

/** The valid record's text with one member's value replaced by a raw JSON token. */
function withRaw(key: string, token: string): string {
  return JSON.stringify({ ...VALID, [key]: `@@${key}@@` }).replace(`"@@${key}@@"`, token);
}

function without(key: keyof typeof VALID): string {
  const copy: Record<string, unknown> = { ...VALID };
  delete copy[key];
  return JSON.stringify(copy);
}

function refusal(body: string | Buffer) {
  const result = parsePcs(body);
  if (result.ok) throw new Error('expected a refusal');
  return result.error;
}

describe('parsePcs refuses', () => {
  it.each<[string, string | Buffer, PcsInputErrorCode, string | undefined]>([
    ['an empty body', '', 'empty_body', undefined],
    ['a whitespace-only body', ' \n\t', 'empty_body', undefined],
    ['a lone byte-order mark', '\ufeff', 'invalid_json', undefined],
    [
      'a byte-order mark before the record',
      `\ufeff${JSON.stringify(VALID)}`,
      'invalid_json',
      undefined,
    ],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'invalid_json', undefined],
    ['broken JSON', '{"pcs_id":', 'invalid_json', undefined],
    ['a JSON array', '[1]', 'invalid_json', undefined],
    ['a JSON string', '"x"', 'invalid_json', undefined],
    ['trailing data', `${JSON.stringify(VALID)}x`, 'invalid_json', undefined],
    [
      'a duplicate top-level key',
      JSON.stringify(VALID).replace('{', '{"epoch":4,'),
      'duplicate_key',
      'epoch',
    ],
    ['a duplicate key inside N_j', withRaw('N_j', '{"2":3,"2":3}'), 'duplicate_key', 'N_j.2'],
    [
      'a __proto__ key',
      JSON.stringify(VALID).replace('{', '{"__proto__":{"admin":true},'),
      'forbidden_key',
      '__proto__',
    ],
    [
      'a constructor key in an unknown field',
      withRaw('extra', '{"constructor":{}}'),
      'forbidden_key',
      'extra.constructor',
    ],
    [
      'a prototype key inside ft',
      withRaw('ft', '{"prototype":1}'),
      'forbidden_key',
      'ft.prototype',
    ],
    ['an epoch of 3.0', withRaw('epoch', '3.0'), 'invalid_field', 'epoch'],
    ['an epoch of 3.5', withRaw('epoch', '3.5'), 'invalid_field', 'epoch'],
    ['an epoch in exponent form', withRaw('epoch', '3e0'), 'invalid_field', 'epoch'],
    ['an epoch as a string', withRaw('epoch', '"3"'), 'invalid_field', 'epoch'],
    ['an epoch beyond 64 bits', withRaw('epoch', '9223372036854775808'), 'unsafe_number', 'epoch'],
    ['a huge epoch token', withRaw('epoch', '9'.repeat(5000)), 'unsafe_number', 'epoch'],
    ['a seed a double cannot hold', withRaw('seed', '9007199254740993'), 'unsafe_number', 'seed'],
    ['an attempt of 1.5', withRaw('attempt', '1.5'), 'invalid_field', 'attempt'],
    ['a fractional scale', withRaw('scales', '[2,4.5]'), 'invalid_field', 'scales[1]'],
    ['scales as an object', withRaw('scales', '{}'), 'invalid_field', 'scales'],
    ['a fractional count', withRaw('N_j', '{"2":3.5}'), 'invalid_field', 'N_j.2'],
    ['a count as a string', withRaw('N_j', '{"2":"3"}'), 'invalid_field', 'N_j.2'],
    ['N_j as an array', withRaw('N_j', '[3]'), 'invalid_field', 'N_j'],
    ['coh_star as a string', withRaw('coh_star', '"0.73"'), 'invalid_field', 'coh_star'],
    ['coh_star null', withRaw('coh_star', 'null'), 'invalid_field', 'coh_star'],
    [
      'coh_star with 18 significant digits',
      withRaw('coh_star', '0.730000000000000001'),
      'unsafe_number',
      'coh_star',
    ],
    ['coh_star overflowing a double', withRaw('coh_star', '1e309'), 'unsafe_number', 'coh_star'],
    ['coh_star underflowing to 0', withRaw('coh_star', '1e-400'), 'unsafe_number', 'coh_star'],
    ['D_hat of 1e19 (unquantizable)', withRaw('D_hat', '1e19'), 'invalid_field', 'D_hat'],
    [
      'an integer D_hat a double cannot hold',
      withRaw('D_hat', '9007199254740993'),
      'unsafe_number',
      'D_hat',
    ],
    ['a v_star element as a string', withRaw('v_star', '[0.1,"x"]'), 'invalid_field', 'v_star[1]'],
    ['a boolean regime', withRaw('regime', 'true'), 'invalid_field', 'regime'],
    ['a numeric sig', withRaw('sig', '1'), 'invalid_field', 'sig'],
    [
      'sent_at that is not RFC 3339',
      withRaw('sent_at', '"30/11/2026"'),
      'invalid_field',
      'sent_at',
    ],
    [
      'sent_at on the 31st of November',
      withRaw('sent_at', '"2026-11-31T10:00:00Z"'),
      'invalid_field',
      'sent_at',
    ],
    [
      'sent_at without a zone',
      withRaw('sent_at', '"2026-11-30T10:00:00"'),
      'invalid_field',
      'sent_at',
    ],
    [
      'a lone surrogate in shard_id',
      withRaw('shard_id', '"a\\ud800"'),
      'invalid_field',
      'shard_id',
    ],
    [
      'a lone surrogate in merkle_root',
      withRaw('merkle_root', '"\\udc00"'),
      'invalid_field',
      'merkle_root',
    ],
    ['ft as a string', withRaw('ft', '"none"'), 'invalid_field', 'ft'],
    [
      'ft.degraded as a number',
      withRaw('ft', '{"outbox_seq":1,"degraded":0,"fallbacks":[],"clock_skew_ms":0}'),
      'invalid_field',
      'ft.degraded',
    ],
    [
      'ft.fallbacks with a number',
      withRaw('ft', '{"outbox_seq":1,"degraded":false,"fallbacks":[1],"clock_skew_ms":0}'),
      'invalid_field',
      'ft.fallbacks[0]',
    ],
    [
      'ft without outbox_seq',
      withRaw('ft', '{"degraded":false,"fallbacks":[],"clock_skew_ms":0}'),
      'missing_field',
      'ft.outbox_seq',
    ],
    ['a missing pcs_id', without('pcs_id'), 'missing_field', 'pcs_id'],
    ['a missing epoch', without('epoch'), 'missing_field', 'epoch'],
    ['a missing N_j', without('N_j'), 'missing_field', 'N_j'],
    ['a missing sig', without('sig'), 'missing_field', 'sig'],
  ])('%s', (_, body, code, field) => {
    const error = refusal(body);
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    if (field !== undefined) expect(error.message).toContain(`field "${field}"`);
  });

  it('names the field, what was expected and what came', () => {
    expect(refusal(withRaw('epoch', '3.5')).message).toBe(
      'field "epoch": expected an integer, got 3.5',
    );
    expect(refusal(without('scales')).message).toBe(
      'field "scales": missing, expected an array of integers',
    );
  });

  it('reports the first problem in the order of DESIGN §2', () => {
    const body = JSON.stringify({ ...VALID, epoch: 'x', coh_star: 'y' });
    expect(refusal(body).field).toBe('epoch');
  });
});

describe('parsePcs accepts', () => {
  it('the typical golden record, with exact types', () => {
    const result = parsePcs(Buffer.from(JSON.stringify(VALID)));
    if (!result.ok) throw new Error(result.error.message);
    const rec = result.record;
    expect(rec.epoch).toBe(3n);
    expect(rec.N_j['16']).toBe(17);
    expect(Object.getPrototypeOf(rec.N_j)).toBeNull();
    expect(rec.ft).toEqual(VALID.ft);
  });

  it('an epoch beyond 2^53, kept exact', () => {
    const result = parsePcs(withRaw('epoch', '9007199254740993'));
    expect(result.ok && result.record.epoch).toBe(9007199254740993n);
  });

  it('integer tokens in number fields, reading -0 as 0 like Python', () => {
    const result = parsePcs(withRaw('D_hat', '-0'));
    expect(result.ok && Object.is(result.record.D_hat, 0)).toBe(true);
    const negZero = parsePcs(withRaw('D_hat', '-0.0'));
    expect(negZero.ok && Object.is(negZero.record.D_hat, -0)).toBe(true);
  });

  it('integers a double holds exactly even beyond 2^53', () => {
    const result = parsePcs(withRaw('seed', '9007199254740994'));
    expect(result.ok && result.record.seed).toBe(9007199254740994);
  });

  it('values whose meaning is wrong but whose type is right (they are 202s, not 400s)', () => {
    const body = JSON.stringify({
      ...VALID,
      schema: 'other',
      version: '9',
      shard_id: '',
      epoch: -1,
      scales: [],
      N_j: { '2': -5 },
      coh_star: 7,
      regime: 'turbulent',
      merkle_root: '',
      pcs_id: 'not-hex',
    });
    expect(parsePcs(body).ok).toBe(true);
  });

  it('a record without ft, or with ft null', () => {
    const absent = parsePcs(without('ft'));
    const nulled = parsePcs(withRaw('ft', 'null'));
    expect(absent.ok && absent.record.ft).toBeUndefined();
    expect(nulled.ok && nulled.record.ft).toBeUndefined();
  });

  it('unknown fields, dropped from the result', () => {
    const result = parsePcs(withRaw('agent', '{"name":"py","v":[1,2.5e300]}'));
    expect(result.ok && 'agent' in result.record).toBe(false);
  });

  it('RFC 3339 timestamps with fractions, offsets and a leap second', () => {
    for (const t of [
      '2026-11-30T10:00:00.123456Z',
      '2026-11-30t10:00:00+05:30',
      '2016-12-31T23:59:60Z',
    ]) {
      expect(parsePcs(withRaw('sent_at', JSON.stringify(t))).ok).toBe(true);
    }
  });

  it('a record without sig when asked for an unsigned parse (signing tools)', () => {
    const result = parsePcs(without('sig'), { unsigned: true });
    expect(result.ok && result.record.sig).toBe('');
  });
});
