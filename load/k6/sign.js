/**
 * Signed PCS records for load tests, from a template: one implementation run by k6 (with
 * k6/crypto) and by the Node runner (with node:crypto), so both send the same traffic.
 *
 * The template (record-template.json, written by load/record-template.ts with pcs/canonical.ts)
 * holds the record and its canonical signature payload with placeholders for the four fields
 * that change per record: shard_id, epoch, merkle_root and pcs_id. Their canonical form is
 * trivial (ASCII letters, digits and '-', a decimal integer, lower-case hex), so substituting
 * them keeps the payload byte-identical to what pcs/canonical.ts makes; the numbers, whose
 * Python-float form is the hard part, are fixed and come from pcs/canonical.ts itself.
 * `selfCheck` compares against records signed by pcs/sign.ts before any load is sent.
 *
 * `crypto` must offer sha256(text, 'hex') and hmac('sha256', key, ArrayBuffer, 'base64'), the
 * k6/crypto signatures.
 */

const SHARD = /^[a-z0-9-]{1,120}$/;

function hexToBuffer(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes.buffer;
}

function fill(text, fields) {
  // Function replacements, so no `$` in a value is ever read as a pattern.
  return text
    .replace('__SHARD_ID__', () => fields.shard_id)
    .replace('__EPOCH__', () => String(fields.epoch))
    .replace('__MERKLE_ROOT__', () => fields.merkle_root)
    .replace('__PCS_ID__', () => fields.pcs_id)
    .replace('__SIG__', () => fields.sig || '')
    .replace('__SENT_AT__', () => fields.sent_at || '');
}

export function makeSigner(crypto, template, hmacKey) {
  function sign(shardId, epoch, sentAt) {
    if (!SHARD.test(shardId)) throw new Error(`shard_id must match ${SHARD}: ${shardId}`);
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`bad epoch: ${epoch}`);
    const merkle_root = crypto.sha256(`flk load|${shardId}|${epoch}`, 'hex');
    const pcs_id = crypto.sha256(`${merkle_root}|${epoch}|${shardId}`, 'hex');
    const fields = { shard_id: shardId, epoch, merkle_root, pcs_id };
    const payload = fill(template.payload, fields);
    const sig = crypto.hmac(
      'sha256',
      hmacKey,
      hexToBuffer(crypto.sha256(payload, 'hex')),
      'base64',
    );
    const body = fill(template.body, Object.assign({ sig, sent_at: sentAt }, fields));
    return { pcs_id, sig, body };
  }

  return { sign };
}

/**
 * Throws unless every reference record of the template (signed by pcs/sign.ts with the
 * template's check key) comes out of `makeSigner` byte for byte: pcs_id, sig and body.
 */
export function selfCheck(crypto, template) {
  const { sign } = makeSigner(crypto, template, template.check_hmac_key);
  for (const c of template.checks) {
    const got = sign(c.shard_id, c.epoch, c.sent_at);
    if (got.pcs_id !== c.pcs_id || got.sig !== c.sig || got.body !== c.body)
      throw new Error(`record-template.json: ${c.shard_id} signs differently from pcs/sign.ts`);
  }
}
