/**
 * Request bodies for the Node runner: load/k6/sign.js (the code k6 runs) with node:crypto in
 * place of k6/crypto, so both send the same signed records. Every `duplicateEvery`-th body
 * resends the previous one, which the backend answers from the dedup store.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { makeSigner, selfCheck, type CryptoLike, type RecordTemplate } from '../k6/sign.js';
import { TEMPLATE_FILE } from '../record-template.ts';

export const nodeCrypto: CryptoLike = {
  sha256: (input) => createHash('sha256').update(input, 'utf8').digest('hex'),
  hmac: (_alg, key, data) =>
    createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(data)).digest('base64'),
};

export function readTemplate(file = TEMPLATE_FILE): RecordTemplate {
  return JSON.parse(readFileSync(file, 'utf8')) as RecordTemplate;
}

export interface BodySource {
  next(): string;
  /** Bodies made so far, and how many of them repeated an earlier one. */
  readonly made: number;
  readonly duplicates: number;
}

export interface BodyOptions {
  hmacKey: string;
  duplicateEvery: number;
  runId: string;
  /** Most requests in flight at once: a resent record is older than several times this. */
  concurrency: number;
}

export function bodySource(o: BodyOptions): BodySource {
  const template = readTemplate();
  selfCheck(nodeCrypto, template);
  const { sign } = makeSigner(nodeCrypto, template, o.hmacKey);
  let made = 0;
  let duplicates = 0;
  // Resend a record from several times the concurrency ago, long answered, so the backend
  // answers it from the dedup store (one still in flight would share that flight instead).
  const depth = Math.max(32, 4 * o.concurrency);
  const sent: string[] = [];
  return {
    next() {
      made += 1;
      if (sent.length === depth && made % o.duplicateEvery === 0) {
        duplicates += 1;
        return sent[made % depth] as string;
      }
      const body = sign(`node-${o.runId}-${made}`, made, new Date().toISOString()).body;
      if (sent.length < depth) sent.push(body);
      else sent[made % depth] = body;
      return body;
    },
    get made() {
      return made;
    },
    get duplicates() {
      return duplicates;
    },
  };
}
