/**
 * Typed readers for the fields of a PCS record (used by pcs/parse.ts). Each reader checks one
 * JSON value's type and turns it into the model's type, or throws an {@link InputRefusal}
 * naming the field, what was expected and what came. The 400-versus-202 line they keep is
 * explained at the top of pcs/parse.ts.
 */
import { isWellFormedText } from './canonical.ts';
import { JsonNumber, quoteForMessage } from './json.ts';
import type { JsonObject, JsonValue } from './json.ts';
import type { PcsInputError } from './parse.ts';
import { QUANTIZE_LIMIT } from './pyfloat.ts';
import type { PcsFaultTolerance } from './record.ts';

/** Reads one typed value; `expected` completes "expected ..." in messages. */
export interface Reader<T> {
  readonly expected: string;
  read(v: JsonValue, field: string): T;
}

/** A refused field, carrying the error parsePcs returns. */
export class InputRefusal extends Error {
  constructor(readonly error: PcsInputError) {
    super(error.message);
  }
}

/** Reads member `key` of `o`; `path` names it in errors (`ft.outbox_seq`). */
export function field<T>(o: JsonObject, key: string, reader: Reader<T>, path = key): T {
  const v = o[key];
  if (v === undefined) {
    const message = `field ${quoteForMessage(path)}: missing, expected ${reader.expected}`;
    throw new InputRefusal({ code: 'missing_field', field: path, message });
  }
  return reader.read(v, path);
}

function invalid(field: string, expected: string, v: JsonValue): never {
  const message = `field ${quoteForMessage(field)}: expected ${expected}, got ${describe(v)}`;
  throw new InputRefusal({ code: 'invalid_field', field, message });
}

function unsafe(field: string, raw: string, why: string): never {
  const message = `field ${quoteForMessage(field)}: ${shortToken(raw)} ${why}`;
  throw new InputRefusal({ code: 'unsafe_number', field, message });
}

/** True for a JSON object (not an array, a number token or null). */
export function isObject(v: JsonValue): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** How a value is named in messages: its token, or its JSON type. */
export function describe(v: JsonValue): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return 'a string';
  if (v instanceof JsonNumber) return shortToken(v.raw);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function shortToken(raw: string): string {
  return raw.length > 40 ? `${raw.slice(0, 40)}...` : raw;
}

export const STRING: Reader<string> = {
  expected: 'a string',
  read(v, f) {
    return typeof v === 'string' ? v : invalid(f, this.expected, v);
  },
};

/** A string that is hashed as UTF-8 into pcs_id, so it must be well-formed Unicode. */
export const TEXT: Reader<string> = {
  expected: 'a string of well-formed Unicode (no lone surrogates)',
  read(v, f) {
    return typeof v === 'string' && isWellFormedText(v) ? v : invalid(f, this.expected, v);
  },
};

const BOOLEAN: Reader<boolean> = {
  expected: 'true or false',
  read(v, f) {
    return typeof v === 'boolean' ? v : invalid(f, this.expected, v);
  },
};

const INTEGER_TOKEN = /^-?\d+$/;

export const INTEGER: Reader<number> = {
  expected: 'an integer',
  read(v, f) {
    if (!(v instanceof JsonNumber) || !INTEGER_TOKEN.test(v.raw)) invalid(f, this.expected, v);
    return integerToDouble(v.raw, f);
  },
};

const NUMBER: Reader<number> = {
  expected: 'a number',
  read(v, f) {
    if (!(v instanceof JsonNumber)) invalid(f, this.expected, v);
    return INTEGER_TOKEN.test(v.raw) ? integerToDouble(v.raw, f) : floatToDouble(v.raw, f);
  },
};

/** One of the four signed numbers: it must also fit the reference's quantize (|x| < 1e19). */
export const SIGNED_NUMBER: Reader<number> = {
  expected: 'a number of magnitude below 1e19',
  read(v, f) {
    const n = NUMBER.read(v, f);
    return Math.abs(n) < QUANTIZE_LIMIT ? n : invalid(f, this.expected, v);
  },
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `epoch`: exact, as a bigint, within the signed 64-bit range stores keep. */
export const EPOCH: Reader<bigint> = {
  expected: 'an integer',
  read(v, f) {
    if (!(v instanceof JsonNumber) || !INTEGER_TOKEN.test(v.raw)) invalid(f, this.expected, v);
    // 20 characters hold every int64 ("-9223372036854775808"); longer tokens never reach
    // BigInt(), whose cost grows with the token.
    const epoch = v.raw.length <= 20 ? BigInt(v.raw) : undefined;
    if (epoch === undefined || epoch < INT64_MIN || epoch > INT64_MAX) {
      unsafe(f, v.raw, 'is outside the signed 64-bit range of an epoch');
    }
    return epoch;
  },
};

/** RFC 3339 date-time (§5.6): `T`/`t`, fraction optional, `Z`/`z` or a numeric offset. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

export const TIMESTAMP: Reader<string> = {
  expected: 'an RFC 3339 timestamp such as 2026-11-30T10:00:00Z',
  read(v, f) {
    if (typeof v !== 'string' || !isRfc3339(v)) invalid(f, this.expected, v);
    return v;
  },
};

function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 60 &&
    offsetOk
  );
}

function arrayOf<T>(item: Reader<T>, expected: string): Reader<T[]> {
  return {
    expected,
    read(v, f) {
      if (!Array.isArray(v)) invalid(f, expected, v);
      return v.map((x, i) => item.read(x, `${f}[${i}]`));
    },
  };
}

export const INTEGERS = arrayOf(INTEGER, 'an array of integers');
export const NUMBERS = arrayOf(NUMBER, 'an array of numbers');
const STRINGS = arrayOf(STRING, 'an array of strings');

/** N_j: an object of integer counts, copied without a prototype. */
export const COUNTS: Reader<Record<string, number>> = {
  expected: 'an object of integer counts',
  read(v, f) {
    if (!isObject(v)) invalid(f, this.expected, v);
    const out: Record<string, number> = Object.create(null);
    for (const key of Object.keys(v)) out[key] = INTEGER.read(v[key]!, `${f}.${key}`);
    return out;
  },
};

export const FAULT_TOLERANCE: Reader<PcsFaultTolerance> = {
  expected: 'an object {outbox_seq, degraded, fallbacks, clock_skew_ms}',
  read(v, f) {
    if (!isObject(v)) invalid(f, this.expected, v);
    return {
      outbox_seq: field(v, 'outbox_seq', INTEGER, `${f}.outbox_seq`),
      degraded: field(v, 'degraded', BOOLEAN, `${f}.degraded`),
      fallbacks: field(v, 'fallbacks', STRINGS, `${f}.fallbacks`),
      clock_skew_ms: field(v, 'clock_skew_ms', NUMBER, `${f}.clock_skew_ms`),
    };
  },
};

/**
 * An integer token read exactly as Python's json does (an int, so `-0` is 0), refused when
 * the double it becomes is not that integer (beyond 2^53 most integers are not).
 */
function integerToDouble(raw: string, f: string): number {
  const n = Number(raw);
  // Up to 15 digits every integer is exact; past that compare against the exact value.
  if (raw.length > 15 && (!Number.isFinite(n) || BigInt(n) !== BigInt(raw))) {
    unsafe(f, raw, 'is an integer a double cannot hold exactly');
  }
  return n === 0 ? 0 : n;
}

/** A fraction or exponent token, refused when a double would not carry it faithfully. */
function floatToDouble(raw: string, f: string): number {
  const significant = significantDigits(raw);
  if (significant > 17) {
    unsafe(f, raw, 'has more significant digits (over 17) than a double carries');
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) unsafe(f, raw, 'is too large for a double');
  if (n === 0 && significant > 0) unsafe(f, raw, 'is too small for a double (reads as 0)');
  return n;
}

/** Digits of the mantissa between the first and the last non-zero digit (0 for a zero). */
function significantDigits(raw: string): number {
  let first = -1;
  let last = -1;
  let count = 0; // digits seen so far, not counting the '.'
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x65 || c === 0x45) break;
    if (c < 0x30 || c > 0x39) continue; // '-' or '.'
    if (c !== 0x30) {
      if (first < 0) first = count;
      last = count;
    }
    count++;
  }
  return first < 0 ? 0 : last - first + 1;
}
