/** Types of sign.js (plain JavaScript, because k6 runs it too). */
export interface RecordTemplate {
  /** The key the reference records of `checks` are signed with (a test key). */
  check_hmac_key: string;
  payload: string;
  body: string;
  checks: {
    shard_id: string;
    epoch: number;
    sent_at: string;
    pcs_id: string;
    sig: string;
    body: string;
  }[];
}

export interface CryptoLike {
  sha256(input: string, encoding: 'hex'): string;
  hmac(alg: 'sha256', key: string, data: ArrayBuffer, encoding: 'base64'): string;
}

export interface SignedBody {
  pcs_id: string;
  sig: string;
  body: string;
}

export function makeSigner(
  crypto: CryptoLike,
  template: RecordTemplate,
  hmacKey: string,
): { sign(shardId: string, epoch: number, sentAt: string): SignedBody };

export function selfCheck(crypto: CryptoLike, template: RecordTemplate): void;
