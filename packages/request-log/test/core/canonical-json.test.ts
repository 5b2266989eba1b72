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
      { 'quote"d': 'back\\slash', ctl: '\u0001\n\t', uni: 'é€😀', del: '\u007f', tilde: '~', space: ' ' },
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

/**
 * The JCS test vectors: the input and output files of the RFC 8785 reference implementation
 * (github.com/cyberphone/json-canonicalization, testdata/), and the number serialization table of
 * RFC 8785 Appendix B (IEEE 754 bits → canonical text).
 */
describe('canonicalJson is RFC 8785 (JCS)', () => {
  const files: readonly [string, string, string][] = [
    [
      'values.json',
      String.raw`{
  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],
  "escaping": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
      String.raw`{"escaping":"€$\u000f\nA'B\"\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}`,
    ],
    [
      'weird.json',
      String.raw`{
  "\u20ac": "Euro Sign",
  "1": "One",
  "\u0080": "Control\u007f",
  "\ud83d\ude02": "Smiley",
  "\u00f6": "Latin Small Letter O With Diaeresis",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "</script>": "Browser Challenge"
}`,
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
    [
      'structures.json',
      String.raw`{
  "1": {"f": {"f": "hi","F": 5} ,"\n": 56.0},
  "10": { },
  "": "empty",
  "a": { },
  "111": [ { } ],
  "A": { }
}`,
      String.raw`{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}`,
    ],
    ['unicode.json', String.raw`{"Unnormalized Unicode":"\u1e0d\u0307"}`, '{"Unnormalized Unicode":"\u1e0d\u0307"}'],
  ];

  it.each(files)('turns the reference input %s into the reference output', (_name, input, output) => {
    expect(canonicalJson(JSON.parse(input))).toBe(output);
  });

  // RFC 8785 Appendix B: the IEEE 754 double (hex bits) and its canonical form.
  const numbers: readonly [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];

  it.each(numbers)('writes the double %s as %s', (bits, text) => {
    const value = Buffer.from(bits, 'hex').readDoubleBE(0);
    expect(canonicalJson(value)).toBe(text);
    expect(canonicalJson([value])).toBe(`[${text}]`);
  });

  it('refuses the doubles RFC 8785 has no text for (NaN, Infinity)', () => {
    for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
      expect(() => canonicalJson(Buffer.from(bits, 'hex').readDoubleBE(0))).toThrow(/not a JSON value/);
    }
  });

  it('refuses a lone surrogate in a string or a key (not I-JSON) and keeps a proper pair', () => {
    expect(() => canonicalJson({ a: 'x\ud800' })).toThrow(/lone surrogate/);
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow(/lone surrogate/);
    expect(() => canonicalJson('y'.repeat(70) + '\ud83d')).toThrow(/lone surrogate/);
    expect(canonicalJson('\ud83d\ude02')).toBe('"😂"');
  });
});
