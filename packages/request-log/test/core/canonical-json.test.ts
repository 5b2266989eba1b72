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
