import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { CalculatorError, DEFAULT_MAX_NAME_LENGTH, checkName, createCalculatorService } from '../src/index.js';

function connect(options = {}): { conn: ReturnType<typeof connectLocal<string, string>>; logs: string[] } {
  const logs: string[] = [];
  const conn = connectLocal(createCalculatorService(options), { log: (line) => logs.push(line) });
  return { conn, logs };
}

describe('calculator service', () => {
  it('greets by name, answers requests, and ends on q', async () => {
    const { conn, logs } = connect();
    expect(await conn.send('Ada')).toEqual(['Hello, Ada']);
    expect(await conn.send('12 + 42')).toEqual(['54']);
    expect(await conn.send('3.24 - 45')).toEqual(['-41.76']);
    expect(await conn.send('4.5 / -6')).toEqual(['-0.75']);
    expect(await conn.send('10 / 0')).toEqual(['ERROR division by zero']);
    expect(await conn.send('q')).toEqual([]);
    expect(conn.sent.at(-1)).toBe('Session ended');
    expect(conn.closed).toBe(true);
    expect(logs).toEqual([
      '"Ada": session started',
      '"Ada": "12 + 42" → 54',
      '"Ada": "3.24 - 45" → -41.76',
      '"Ada": "4.5 / -6" → -0.75',
      '"Ada": "10 / 0" → ERROR division by zero',
      '"Ada": Session ended',
    ]);
  });

  it('trims the name and lets the client retry a bad one', async () => {
    const { conn } = connect();
    expect(await conn.send('   ')).toEqual(['ERROR invalid name']);
    expect(await conn.send('bad\u0007name')).toEqual(['ERROR invalid name']);
    expect(await conn.send('  Grace Hopper  ')).toEqual(['Hello, Grace Hopper']);
  });

  it('accepts a name of exactly the maximum length and refuses one more', async () => {
    const { conn } = connect();
    expect(await conn.send('é'.repeat(DEFAULT_MAX_NAME_LENGTH + 1))).toEqual([`ERROR name too long (max ${DEFAULT_MAX_NAME_LENGTH} characters)`]);
    expect(await conn.send('😀'.repeat(DEFAULT_MAX_NAME_LENGTH))).toEqual([`Hello, ${'😀'.repeat(DEFAULT_MAX_NAME_LENGTH)}`]);
    expect(checkName('a'.repeat(DEFAULT_MAX_NAME_LENGTH))).toBeUndefined();
  });

  it('ends the session on q before a name too, and on Q', async () => {
    const first = connect();
    await first.conn.send('q');
    expect(first.conn.sent).toEqual(['Session ended']);
    expect(first.logs).toEqual(['"(unnamed)": Session ended']);
    const second = connect();
    await second.conn.send('Bob');
    await second.conn.send(' Q ');
    expect(second.conn.closed).toBe(true);
  });

  it('treats a number as an expression only after the name', async () => {
    const { conn } = connect();
    expect(await conn.send('12 + 42')).toEqual(['Hello, 12 + 42']);
    expect(await conn.send('12 + 42')).toEqual(['54']);
  });

  it('keeps sessions independent', async () => {
    const service = createCalculatorService();
    const a = connectLocal(service);
    const b = connectLocal(service);
    await a.send('Ann');
    expect(await b.send('Ben')).toEqual(['Hello, Ben']);
    expect(await a.send('1 + 1')).toEqual(['2']);
  });

  it('quotes requests in logs so control characters cannot reach a terminal', async () => {
    const { conn, logs } = connect();
    await conn.send('Eve');
    await conn.send('\u001b[2J');
    expect(logs.at(-1)).toBe('"Eve": "\\u001b[2J" → ERROR invalid expression');
  });

  it('logs a connection that ends without q', async () => {
    const { conn, logs } = connect();
    await conn.send('Zed');
    conn.close();
    expect(logs.at(-1)).toBe('"Zed": connection closed (remote) without q');
  });

  it('applies its options', async () => {
    const { conn } = connect({ significantDigits: 5, maxOperandDigits: 3 });
    await conn.send('Max');
    expect(await conn.send('1 / 3')).toEqual(['0.33333']);
    expect(await conn.send('1000 + 1')).toEqual(['ERROR operand too long (max 3 digits)']);
  });

  it('refuses bad options', () => {
    expect(() => createCalculatorService({ significantDigits: 0 })).toThrow(CalculatorError);
    expect(() => createCalculatorService({ maxNameLength: 1.5 })).toThrow(CalculatorError);
  });

  it('answers a line the codec rejected', () => {
    const peer = { transport: 'local', address: 'x', port: 0, id: 'x' } as const;
    const error = Object.assign(new Error('x'), { code: 'ERR_LINE_TOO_LONG' });
    expect(createCalculatorService().malformed?.(error, peer)).toEqual(['ERROR line too long']);
  });
});
