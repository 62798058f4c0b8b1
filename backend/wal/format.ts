import { crc32 } from 'node:zlib';

/**
 * One WAL record on disk:
 *
 *   offset size  field
 *   0      4     magic "FLKW"
 *   4      1     format version (1)
 *   5      1     flags: bit 0 set when the request declared a JSON content type
 *   6      2     reserved, zero
 *   8      4     body length, big-endian
 *   12     8     receive time, ms since the Unix epoch, big-endian
 *   20     4     CRC-32 of bytes 0..20 and of the body
 *   24     n     the raw request body, exactly as received
 *
 * The checksum covers the header too, so a torn or zero-filled tail (what ext4 leaves after a
 * crash between extending a file and writing its data) never decodes as a record.
 */
export const MAGIC = 0x464c4b57;
export const VERSION = 1;
export const HEADER_BYTES = 24;
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface WalRecord {
  /** Byte offset of the record's header inside its segment. */
  offset: number;
  timestampMs: number;
  flags: number;
  body: Buffer;
}

export const FLAG_JSON = 0x01;

export function encodeRecord(body: Buffer, timestampMs: number, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE((VERSION << 24) | ((flags & 0xff) << 16), 4);
  out.writeUInt32BE(body.length, 8);
  out.writeBigUInt64BE(BigInt(timestampMs), 12);
  body.copy(out, HEADER_BYTES);
  out.writeUInt32BE(checksum(out, body.length), 20);
  return out;
}

function checksum(record: Buffer, bodyLength: number): number {
  const head = crc32(record.subarray(0, 20));
  return crc32(record.subarray(HEADER_BYTES, HEADER_BYTES + bodyLength), head);
}

export interface Damage {
  offset: number;
  bytes: number;
  reason: string;
}

export interface ScanResult {
  records: WalRecord[];
  /** The first unreadable stretch, if any (kept for callers that report one). */
  damage?: Damage;
  /** Every unreadable stretch, in order. */
  damages: Damage[];
}

const MAGIC_BYTES = Buffer.from([0x46, 0x4c, 0x4b, 0x57]);

/**
 * Decodes every whole record of a segment. An unreadable stretch (a flipped bit, a torn tail) is
 * skipped by searching forward for the next header whose checksum holds, so one damaged record
 * costs that record only; the CRC over header and body makes a false resynchronisation
 * vanishingly unlikely.
 */
export function scanSegment(data: Buffer): ScanResult {
  const records: WalRecord[] = [];
  const damages: Damage[] = [];
  let at = 0;
  while (at < data.length) {
    const problem = recordProblem(data, at);
    if (problem) {
      const next = nextRecordStart(data, at + 1);
      damages.push({ offset: at, bytes: next - at, reason: problem });
      at = next;
      continue;
    }

    const length = data.readUInt32BE(at + 8);
    records.push({
      offset: at,
      timestampMs: Number(data.readBigUInt64BE(at + 12)),
      flags: data[at + 5] as number,
      body: data.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length),
    });
    at += HEADER_BYTES + length;
  }
  return { records, damage: damages[0], damages };
}

function nextRecordStart(data: Buffer, from: number): number {
  for (let i = data.indexOf(MAGIC_BYTES, from); i !== -1; i = data.indexOf(MAGIC_BYTES, i + 1))
    if (recordProblem(data, i) === undefined) return i;
  return data.length;
}

function recordProblem(data: Buffer, at: number): string | undefined {
  if (data.length - at < HEADER_BYTES) return 'truncated header';
  if (data.readUInt32BE(at) !== MAGIC) return 'bad magic';
  if (data[at + 4] !== VERSION) return `unknown format version ${data[at + 4]}`;
  const length = data.readUInt32BE(at + 8);
  if (length > MAX_BODY_BYTES) return `implausible length ${length}`;
  if (data.length - at - HEADER_BYTES < length) return 'truncated body';
  const record = data.subarray(at, at + HEADER_BYTES + length);
  if (record.readUInt32BE(20) !== checksum(record, length)) return 'checksum mismatch';
  return undefined;
}
