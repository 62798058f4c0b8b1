/**
 * load/k6/record-template.json: the template k6 and the Node runner sign load records from
 * (see load/k6/sign.js), made with the product's own record builder and canonical form, plus
 * reference records signed by pcs/sign.ts that both check themselves against before a run.
 *   npx tsx load/record-template.ts           write it
 *   npx tsx load/record-template.ts --check   exit 1 when the checked-in file differs
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalPayload } from '../pcs/canonical.ts';
import type { PcsRecord } from '../pcs/record.ts';
import { formatRecord } from '../pcs/record.ts';
import { buildRecord, hmacMaterial, signRecord } from '../pcs/sign.ts';
import type { RecordTemplate } from './k6/sign.js';

export const TEMPLATE_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  'k6',
  'record-template.json',
);
/** A test key for the reference records only; runs sign with the key of scenarios.json. */
const CHECK_KEY = 'flk-load-template-check-key-0123456789';
const EPOCH_MARK = 918273645546372n;
const SENT_AT = '2026-01-01T00:00:00.000Z';

function marked(text: string): string {
  const digits = String(EPOCH_MARK);
  if (text.split(digits).length !== 2) throw new Error('epoch marker is not unique');
  return text.replace(digits, '__EPOCH__');
}

function referenceRecord(shard: string, epoch: number) {
  const merkle_root = createHash('sha256').update(`flk load|${shard}|${epoch}`).digest('hex');
  const rec = signRecord(buildRecord({ shard_id: shard, epoch, merkle_root, sent_at: SENT_AT }), {
    scheme: 'hmac-sha256',
    key: hmacMaterial(CHECK_KEY),
  });
  return {
    shard_id: shard,
    epoch,
    sent_at: SENT_AT,
    pcs_id: rec.pcs_id,
    sig: rec.sig,
    body: formatRecord(rec),
  };
}

export function recordTemplate(): RecordTemplate {
  const base = buildRecord({ shard_id: 'template', epoch: 0 });
  const rec: PcsRecord = {
    ...base,
    shard_id: '__SHARD_ID__',
    epoch: EPOCH_MARK,
    merkle_root: '__MERKLE_ROOT__',
    pcs_id: '__PCS_ID__',
    sent_at: '__SENT_AT__',
    sig: '__SIG__',
  };
  return {
    check_hmac_key: CHECK_KEY,
    payload: marked(canonicalPayload(rec).toString('utf8')),
    body: marked(formatRecord(rec)),
    checks: [
      referenceRecord('check-a', 0),
      referenceRecord('check-b', 7),
      referenceRecord('check-c-1', 123456789),
    ],
  };
}

export function templateJson(): string {
  return `${JSON.stringify(recordTemplate(), null, 2)}\n`;
}

function main(): void {
  const want = templateJson();
  if (process.argv.includes('--check')) {
    const have = readFileSync(TEMPLATE_FILE, 'utf8');
    if (have !== want)
      console.error('load/k6/record-template.json: stale; run npx tsx load/record-template.ts');
    process.exitCode = have === want ? 0 : 1;
    return;
  }
  writeFileSync(TEMPLATE_FILE, want);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
