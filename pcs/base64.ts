/**
 * Strict base64 (RFC 4648 §4): standard alphabet, `=` padding, canonical. Node's decoder is
 * lenient (it skips unknown characters, accepts the URL-safe alphabet and missing padding, and
 * ignores non-zero trailing bits), so the decoded bytes are re-encoded and compared: only the one
 * canonical spelling of a byte string passes.
 */

/** Length of the canonical base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/**
 * Decodes canonical base64, or returns undefined. With `expectedBytes`, anything that does not
 * decode to exactly that many bytes is refused (checked on the text length before decoding, so
 * an attacker-sized string costs nothing).
 */
export function decodeBase64Strict(text: string, expectedBytes?: number): Buffer | undefined {
  if (expectedBytes !== undefined && text.length !== base64Length(expectedBytes)) return undefined;
  if (text.length % 4 !== 0) return undefined;

  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) return undefined;
  return bytes;
}
