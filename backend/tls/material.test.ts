import { describe, expect, it } from 'vitest';
import { distinguishedName } from './material.ts';

describe('distinguishedName', () => {
  it('writes the most specific attribute first, as RFC 4514 does', () => {
    expect(distinguishedName('O=acme\nCN=agent-1')).toBe('CN=agent-1,O=acme');
  });

  it('keeps the escaping Node already applied, so a comma in a value stays unambiguous', () => {
    expect(distinguishedName('O=acme\\, inc\nCN=agent-1\n')).toBe('CN=agent-1,O=acme\\, inc');
  });
});
