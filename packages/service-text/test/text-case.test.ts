import { connectLocal } from '@netlab/service';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextServiceError, convertCase, createTextCaseService } from '../src/index.js';

describe('text-case service', () => {
  it('converts to upper case by default', async () => {
    const conn = connectLocal(createTextCaseService());
    expect(await conn.send('Hello, World 123')).toEqual(['HELLO, WORLD 123']);
  });

  it('converts to lower case when asked', async () => {
    const conn = connectLocal(createTextCaseService({ to: 'lower' }));
    expect(await conn.send('Hello, WORLD')).toEqual(['hello, world']);
  });

  it('applies full Unicode case mapping, not one character for one character', () => {
    expect(convertCase('straße', 'upper')).toBe('STRASSE');
    expect(convertCase('ﬁne', 'upper')).toBe('FINE');
    expect(convertCase('\u0390', 'upper')).toBe('\u0399\u0308\u0301');
    expect(convertCase('ǆ', 'upper')).toBe('Ǆ');
    expect(convertCase('ŉ', 'upper')).toBe('ʼN');
  });

  it('lower-cases a final sigma in context', () => {
    expect(convertCase('ΟΔΟΣ ΟΔΟΣ', 'lower')).toBe('οδος οδος');
    expect(convertCase('Σ', 'lower')).toBe('σ');
  });

  it('is locale-independent: i and İ map the same way everywhere', () => {
    expect(convertCase('istanbul', 'upper')).toBe('ISTANBUL');
    expect(convertCase('İ', 'lower')).toBe('i\u0307');
    expect(convertCase('I', 'lower')).toBe('i');
  });

  it('keeps characters outside the BMP and those without case', async () => {
    const conn = connectLocal(createTextCaseService());
    expect(await conn.send('😀 ok 𐐨')).toEqual(['😀 OK 𐐀']);
    expect(await conn.send('')).toEqual(['']);
    expect(await conn.send('日本語 123 !?')).toEqual(['日本語 123 !?']);
  });

  it('never grows a line past three times its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const bytes = Buffer.byteLength(text);
        expect(Buffer.byteLength(convertCase(text, 'upper'))).toBeLessThanOrEqual(3 * bytes);
        expect(Buffer.byteLength(convertCase(text, 'lower'))).toBeLessThanOrEqual(3 * bytes);
      }),
    );
  });

  it('refuses an unknown target case', () => {
    expect(() => createTextCaseService({ to: 'title' as 'upper' })).toThrow(TextServiceError);
  });
});

describe('text-case service and trailing CRs (defect 10)', () => {
  it('converts a line ending in CRs without them', async () => {
    const conn = connectLocal(createTextCaseService());
    expect(await conn.send('x\r')).toEqual(['X']);
    expect(await conn.send('a\rb\r\r')).toEqual(['A\rB']);
    expect(conn.closed).toBe(false);
  });
});
