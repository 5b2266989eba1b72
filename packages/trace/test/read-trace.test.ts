import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type TraceError, isTraceError, parseTrace, parseTraceLine, readTrace } from '../src/index.js';

const OPEN = '{"v":1,"t":1733068800000.25,"kind":"open","role":"server","label":"echo","transport":"tcp","flow":"1","dir":"in","from":{"addr":"127.0.0.1","port":50412},"to":{"addr":"127.0.0.1","port":7102}}';
const DATA = '{"v":1,"t":1733068800001,"kind":"data","role":"server","label":"echo","transport":"tcp","flow":"1","dir":"in","from":{"addr":"127.0.0.1","port":50412},"to":{"addr":"127.0.0.1","port":7102},"len":6,"bytes":"aGVsbG8K","messages":["hello"]}';
const FAULT = '{"v":1,"t":1733068800002,"kind":"fault","role":"proxy","label":"proxy","transport":"udp","flow":"3","side":"client","dir":"in","from":{"addr":"::1","port":40000},"to":{"addr":"::1","port":9000},"action":"drop","toxic":"loss","seed":7,"datagram":2}';
const NOTE = '{"v":1,"t":1733068800003,"kind":"note","role":"server","label":"atm","text":"answered from the request log"}';

function caught(run: () => unknown): TraceError {
  try {
    run();
  } catch (error) {
    if (isTraceError(error)) return error;
    throw error;
  }
  throw new Error('expected a TraceError');
}

describe('reading traces', () => {
  it('parses every kind of record', () => {
    const records = parseTrace([OPEN, DATA, FAULT, NOTE].join('\n'));
    expect(records.map((record) => record.kind)).toEqual(['open', 'data', 'fault', 'note']);
    expect(records[1]).toMatchObject({ len: 6, messages: ['hello'], from: { port: 50412 } });
    expect(records[2]).toMatchObject({ action: 'drop', seed: 7, datagram: 2, side: 'client' });
  });

  it('skips blank lines, accepts CRLF and ignores fields it does not know (additive v1 fields)', () => {
    const withExtra = DATA.replace('"len":6', '"len":6,"futureField":{"x":1}');
    const records = parseTrace(`\n${OPEN}\r\n\n${withExtra}\n`);
    expect(records).toHaveLength(2);
    expect(records[1]).not.toHaveProperty('futureField');
  });

  it('names the line of a record that is not JSON', () => {
    const error = caught(() => parseTrace(`${OPEN}\n${OPEN}\n{"v":1,`));
    expect(error.code).toBe('ERR_INVALID_RECORD');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^line 3: not JSON/);
  });

  it('names the field of a record that breaks the schema', () => {
    expect(caught(() => parseTraceLine(OPEN.replace('"port":7102', '"port":70000'), 9)).message).toMatch(/^line 9: to\.port: /);
    expect(caught(() => parseTraceLine(OPEN.replace('"127.0.0.1","port":50412', '"localhost","port":50412'), 1)).message).toMatch(/from\.addr/);
    expect(caught(() => parseTraceLine(DATA.replace('"len":6', '"len":7'), 1)).message).toMatch(/len must be the length of bytes/);
    expect(caught(() => parseTraceLine(DATA.replace('"aGVsbG8K"', '"aGVsbG8K!"'), 1)).message).toMatch(/bytes: must be base64/);
    expect(caught(() => parseTraceLine(OPEN.replace('"kind":"open"', '"kind":"teleport"'), 1)).code).toBe('ERR_INVALID_RECORD');
    expect(caught(() => parseTraceLine(FAULT.replace('"action":"drop"', '"action":"Drop It"'), 1)).message).toMatch(/action: must be a lower-case word/);
  });

  it('accepts a truncated data record only when it says so', () => {
    const truncated = DATA.replace('"len":6', '"len":100000').replace('"messages"', '"truncated":true,"messages"');
    expect(parseTraceLine(truncated, 1)).toMatchObject({ len: 100000, truncated: true });
    expect(caught(() => parseTraceLine(truncated.replace('"truncated":true,', ''), 1)).code).toBe('ERR_INVALID_RECORD');
  });

  it('refuses a newer version with its own code', () => {
    const error = caught(() => parseTraceLine(OPEN.replace('"v":1', '"v":2'), 4));
    expect(error.code).toBe('ERR_UNSUPPORTED_VERSION');
    expect(error.message).toBe('line 4: trace version 2 is not supported (this reader knows version 1)');
  });

  it('reads a line of exactly maxLineBytes and refuses one byte more', async () => {
    const padded = (bytes: number): string => NOTE.replace('"text":"', `"text":"${'x'.repeat(bytes - Buffer.byteLength(NOTE))}`);
    expect(Buffer.byteLength(padded(2000))).toBe(2000);
    expect(parseTrace(padded(2000), { maxLineBytes: 2000 })).toHaveLength(1);
    expect(caught(() => parseTrace(`${OPEN}\n${padded(2001)}`, { maxLineBytes: 2000 })).code).toBe('ERR_LINE_TOO_LONG');
    await expect(readTrace(Readable.from([Buffer.from(`${padded(2000)}\n`)]), { maxLineBytes: 2000 })).resolves.toHaveLength(1);
    await expect(readTrace(Readable.from([Buffer.from(`${OPEN}\n${padded(2001)}\n`)]), { maxLineBytes: 2000 })).rejects.toMatchObject({ code: 'ERR_LINE_TOO_LONG', line: 2 });
  });

  it('reads exactly maxRecords records and refuses one more', async () => {
    expect(parseTrace([OPEN, DATA].join('\n'), { maxRecords: 2 })).toHaveLength(2);
    expect(caught(() => parseTrace([OPEN, DATA, NOTE].join('\n'), { maxRecords: 2 }))).toMatchObject({ code: 'ERR_TOO_MANY_RECORDS', line: 3 });
    await expect(readTrace([OPEN, DATA, NOTE], { maxRecords: 2 })).rejects.toMatchObject({ code: 'ERR_TOO_MANY_RECORDS' });
  });

  it('reads a stream cut anywhere, even inside a multi-byte character', async () => {
    const text = Buffer.from(`${OPEN}\n${NOTE.replace('answered', 'grüß')}\n`);
    const chunks = [...text].map((byte) => Buffer.of(byte));
    const records = await readTrace(Readable.from(chunks));
    expect(records.map((record) => (record.kind === 'note' ? record.text : record.kind))).toEqual(['open', 'grüß from the request log']);
  });

  it('reports a missing file as ERR_READ', async () => {
    await expect(readTrace('/nonexistent/netlab/trace.jsonl')).rejects.toMatchObject({ code: 'ERR_READ' });
  });
});
