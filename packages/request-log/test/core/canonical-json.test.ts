import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, canonicalJson, isRequestLogError } from '../../src/index.js';

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
  });

  it('gives equal text for objects that differ only in key order', () => {
    expect(canonicalJson({ x: 1, y: 'é', z: [true] })).toBe(canonicalJson({ z: [true], y: 'é', x: 1 }));
  });

  it('writes exactly what JSON.stringify writes for every leaf and key, with keys in code-unit order', () => {
    // The fast paths (quoting without JSON.stringify, insertion sort of few keys, number to
    // string) must not change one byte: stored payloads are compared as text.
    // The reference: JSON.stringify for every leaf and key, Array.prototype.sort for key order
    // (an object literal cannot be used: integer-like keys would be reordered).
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (typeof value === 'object' && value !== null) {
        const record = value as Record<string, unknown>;
        return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(',')}}`;
      }
      return JSON.stringify(value);
    };
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${(i * 7919) % 40}`, i]));
    const samples: unknown[] = [
      { op: 'withdraw', account: 'a1', amount: 5 },
      { 'quote"d': 'back\\slash', ctl: '\u0001\n\t', uni: 'é€😀', lone: '\ud800x', del: '\u007f', tilde: '~', space: ' ' },
      { z: -0, y: 1e21, x: 1.5e-7, w: -12.25, v: Number.MAX_SAFE_INTEGER, u: [true, false, null] },
      { Z: 1, a: 2, _: 3, '': 4, '10': 5, '9': 6, é: 7 },
      many,
      { long: 'x'.repeat(100), longEscaped: `${'y'.repeat(70)}"` },
    ];
    for (const value of samples) expect(canonicalJson(value)).toBe(reference(value));
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['undefined', undefined],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a function', () => 1],
  ])('refuses %s with ERR_INVALID_REQUEST', (_name, value) => {
    let caught: unknown;
    try {
      canonicalJson({ field: value });
    } catch (error) {
      caught = error;
    }
    expect(isRequestLogError(caught, 'ERR_INVALID_REQUEST')).toBe(true);
  });

  it('refuses cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/cycle/);
    expect(() => canonicalJson({ list: [1, { x: Number.NaN }] })).toThrow("not a JSON value at list[1].x: NaN");
  });

  it('accepts nesting exactly at the depth limit and refuses one more', () => {
    expect(() => canonicalJson(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => canonicalJson(nested(MAX_JSON_DEPTH + 1))).toThrow(/deeper/);
  });
});
