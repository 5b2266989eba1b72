import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { createEchoService } from '../src/index.js';

const peer = { transport: 'local', address: 'x', port: 0, id: 'x' } as const;
const codeError = (code: string): Error & { code: string } => Object.assign(new Error(code), { code });

describe('echo service', () => {
  it('echoes every line unchanged, empty and Unicode lines included', async () => {
    const conn = connectLocal(createEchoService());
    expect(await conn.send('hello')).toEqual(['hello']);
    expect(await conn.send('')).toEqual(['']);
    expect(await conn.send('  späße 🎉 ')).toEqual(['  späße 🎉 ']);
    expect(conn.closed).toBe(false);
  });

  it.each(['bye', 'BYE', 'Bye', 'bYe', '  bye  '])('answers %j with Goodbye and closes', async (line) => {
    const conn = connectLocal(createEchoService());
    await conn.send('first');
    await conn.send(line);
    expect(conn.sent).toEqual(['first', 'Goodbye']);
    expect(conn.closed).toBe(true);
    expect(conn.closeReason?.kind).toBe('local');
  });

  it('echoes lines that only contain bye', async () => {
    const conn = connectLocal(createEchoService());
    expect(await conn.send('goodbye')).toEqual(['goodbye']);
    expect(await conn.send('bye bye')).toEqual(['bye bye']);
    expect(conn.closed).toBe(false);
  });

  it('keeps many sessions independent', async () => {
    const service = createEchoService();
    const a = connectLocal(service);
    const b = connectLocal(service);
    await a.send('bye');
    expect(await b.send('still here')).toEqual(['still here']);
    expect([a.closed, b.closed]).toEqual([true, false]);
  });

  it('honours a custom quit word and farewell', async () => {
    const conn = connectLocal(createEchoService({ quitWord: 'EXIT', farewell: 'ciao' }));
    expect(await conn.send('bye')).toEqual(['bye']);
    await conn.send('exit');
    expect(conn.sent.at(-1)).toBe('ciao');
    expect(conn.closed).toBe(true);
  });

  it('names the codec errors it is told about', () => {
    const service = createEchoService();
    expect(service.malformed?.(codeError('ERR_LINE_TOO_LONG'), peer)).toEqual(['ERROR line too long']);
    expect(service.malformed?.(codeError('ERR_INVALID_UTF8'), peer)).toEqual(['ERROR invalid UTF-8']);
    expect(service.malformed?.(codeError('ERR_DATAGRAM_TOO_LARGE'), peer)).toEqual(['ERROR datagram too large']);
    expect(service.malformed?.(new Error('other'), peer)).toEqual(['ERROR malformed input']);
  });
});

describe('echo service and trailing CRs (defect 10)', () => {
  it('treats CRs at the end of a line as part of its terminator and keeps the session', async () => {
    const conn = connectLocal(createEchoService());
    expect(await conn.send('x\r')).toEqual(['x']);
    expect(await conn.send('x\r\r\r')).toEqual(['x']);
    expect(await conn.send('\r')).toEqual(['']);
    expect(await conn.send('two\rthree')).toEqual(['two\rthree']);
    expect(await conn.send('bye\r')).toEqual([]);
    expect(conn.sent.at(-1)).toBe('Goodbye');
  });
});
