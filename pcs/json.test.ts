// The strict JSON reader, differentially against JSON.parse (the engine's own RFC 8259 parser):
// same trees on valid documents, same verdicts on mutated ones, plus the refusals JSON.parse
// does not make (duplicate and prototype keys, nesting depth).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { JsonNumber, JsonParseError, parseJson } from './json.ts';
import type { JsonValue } from './json.ts';

/** The tree JSON.parse would give: numbers read as doubles, objects as plain ones. */
function toPlain(v: JsonValue): unknown {
  if (v instanceof JsonNumber) return Number(v.raw);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).map((k) => [k, toPlain(v[k]!)]));
  }
  return v;
}

function verdict(text: string): 'ok' | 'refused' | 'skip' {
  try {
    parseJson(text);
    return 'ok';
  } catch (err) {
    if (!(err instanceof JsonParseError)) throw err;
    // JSON.parse takes duplicates and prototype keys; those verdicts are compared elsewhere.
    return err.code === 'invalid_json' && !err.message.startsWith('nesting') ? 'refused' : 'skip';
  }
}

function jsonParseVerdict(text: string): 'ok' | 'refused' {
  try {
    JSON.parse(text);
    return 'ok';
  } catch {
    return 'refused';
  }
}

const documents = fc.json({ maxDepth: 6, stringUnit: 'binary' });

/** One edit: delete, insert or replace a character with one of JSON's syntax characters. */
const mutated = fc
  .tuple(
    documents,
    fc.nat(),
    fc.constantFrom(...'{}[]":,.-+eE0159tfnul\\ \t\n\r\u00a0\ufeff/xA'.split('')),
    fc.nat(2),
  )
  .map(([doc, at, ch, op]) => {
    const i = doc.length === 0 ? 0 : at % doc.length;
    if (op === 0) return doc.slice(0, i) + doc.slice(i + 1);
    if (op === 1) return doc.slice(0, i) + ch + doc.slice(i);
    return doc.slice(0, i) + ch + doc.slice(i + 1);
  });

describe('parseJson', () => {
  it('reads every valid document to the tree JSON.parse gives', () => {
    fc.assert(
      fc.property(documents, (text) => {
        if (verdict(text) === 'skip') return true;
        expect(toPlain(parseJson(text))).toEqual(JSON.parse(text));
        return true;
      }),
      { numRuns: 3_000 },
    );
  });

  it('accepts and refuses exactly what JSON.parse does on mutated documents', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        const ours = verdict(text);
        return ours === 'skip' || ours === jsonParseVerdict(text);
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps number tokens exactly as written', () => {
    const doc = parseJson('{"a":9007199254740993,"b":3.0,"c":-0,"d":1E+2}') as Record<
      string,
      JsonNumber
    >;
    expect([doc.a!.raw, doc.b!.raw, doc.c!.raw, doc.d!.raw]).toEqual([
      '9007199254740993',
      '3.0',
      '-0',
      '1E+2',
    ]);
  });

  it('gives objects no prototype', () => {
    const doc = parseJson('{"a":{"b":1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(doc)).toBeNull();
    expect(Object.getPrototypeOf(doc.a)).toBeNull();
  });

  it.each([
    ['{"a":1,"a":1}', 'duplicate_key', 'a'],
    ['{"a":"x","a":"y"}', 'duplicate_key', 'a'],
    ['{"x":[{"k":1,"k":2}]}', 'duplicate_key', 'x[0].k'],
    ['{"__proto__":{}}', 'forbidden_key', '__proto__'],
    ['{"a":{"constructor":1}}', 'forbidden_key', 'a.constructor'],
    ['[{"prototype":null}]', 'forbidden_key', '[0].prototype'],
    ['{"\\u005f_proto__":1}', 'forbidden_key', '__proto__'],
  ])('refuses %s as %s at %s', (text, code, path) => {
    try {
      parseJson(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(JsonParseError);
      expect((err as JsonParseError).code).toBe(code);
      expect((err as JsonParseError).path).toBe(path);
    }
  });

  it.each([
    ['\ufeff{}', 'a byte-order mark'],
    ['{"a":\u00a01}', 'non-JSON whitespace'],
    ['{"a":1,}', 'a trailing comma'],
    ['{"a":01}', 'a leading zero'],
    ['{"a":"\u0001"}', 'a raw control character'],
    ['{"a":"\\x41"}', 'an unknown escape'],
    ['{"a":NaN}', 'NaN'],
    ['{} {}', 'two documents'],
    ['', 'nothing'],
  ])('refuses %j (%s) as invalid_json', (text) => {
    expect(() => parseJson(text)).toThrow(JsonParseError);
    expect(verdict(text)).toBe('refused');
  });

  it('refuses nesting deeper than the limit instead of exhausting the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseJson(deep)).toThrow(/nesting deeper than 64/);
    expect(() => parseJson('['.repeat(64) + ']'.repeat(64))).not.toThrow();
  });

  it('says where a document went wrong', () => {
    expect(() => parseJson('{"ft":{"a":tru}}')).toThrow(
      /expected a value at position 11 \(in ft\.a\)/,
    );
  });
});
