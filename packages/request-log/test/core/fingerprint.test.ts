import { describe, expect, it } from 'vitest';
import { MAX_DIFF_FIELDS, diffPayloads, fingerprint } from '../../src/index.js';

describe('fingerprint', () => {
  it('is the SHA-256 of the canonical JSON (golden value)', () => {
    // printf '{"a":1,"b":[2]}' | sha256sum
    expect(fingerprint({ b: [2], a: 1 })).toBe('0855bfc20eb6cfaa4be7d6b510c63dd22997718bddadcb1a4915cec3a16145b9');
  });

  it('ignores key order and sees every other difference', () => {
    expect(fingerprint({ amount: 5, to: 'x' })).toBe(fingerprint({ to: 'x', amount: 5 }));
    expect(fingerprint({ amount: 5 })).not.toBe(fingerprint({ amount: 6 }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
    expect(fingerprint({ a: '1' })).not.toBe(fingerprint({ a: 1 }));
  });
});

describe('diffPayloads', () => {
  it('names the differing fields by dotted path, including missing and added ones', () => {
    expect(diffPayloads({ amount: 5, to: { account: 'x' }, same: 1, gone: 1 }, { amount: 6, to: { account: 'y' }, same: 1, added: 2 })).toEqual([
      'added',
      'amount',
      'gone',
      'to.account',
    ]);
  });

  it('names array elements and whole-value type changes', () => {
    expect(diffPayloads({ items: [1, 2, 3] }, { items: [1, 5, 3] })).toEqual(['items[1]']);
    expect(diffPayloads({ items: [1, 2] }, { items: [1, 2, 3] })).toEqual(['items']);
    expect(diffPayloads([1], { a: 1 })).toEqual(['']);
  });

  it('names at most MAX_DIFF_FIELDS fields', () => {
    const a = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, -i - 1]));
    expect(diffPayloads(a, b)).toHaveLength(MAX_DIFF_FIELDS);
  });
});
