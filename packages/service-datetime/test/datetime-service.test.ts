import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { DatetimeError, createDatetimeService } from '../src/index.js';

// 2024-03-10 06:59:58 UTC: one second before US daylight saving time starts in New York (07:00 UTC).
const INSTANT = Date.UTC(2024, 2, 10, 6, 59, 58);
const peer = { transport: 'udp', address: '127.0.0.1', port: 40000, id: 'udp:1' } as const;

describe('udp-datetime service', () => {
  it('answers SEND_DATE and SEND_TIME in UTC from the injected clock', async () => {
    const conn = connectLocal(createDatetimeService({ utc: true }), { now: () => INSTANT, peer });
    expect(await conn.send('SEND_DATE')).toEqual(['2024-03-10']);
    expect(await conn.send('SEND_TIME')).toEqual(['06:59:58']);
  });

  it('answers in the configured time zone', async () => {
    const kolkata = connectLocal(createDatetimeService({ timeZone: 'Asia/Kolkata' }), { now: () => INSTANT });
    expect(await kolkata.send('SEND_TIME')).toEqual(['12:29:58']);
    const auckland = connectLocal(createDatetimeService({ timeZone: 'Pacific/Auckland' }), { now: () => INSTANT });
    expect(await auckland.send('SEND_DATE')).toEqual(['2024-03-10']);
    expect(await auckland.send('SEND_TIME')).toEqual(['19:59:58']);
    const honolulu = connectLocal(createDatetimeService({ timeZone: 'Pacific/Honolulu' }), { now: () => INSTANT });
    expect(await honolulu.send('SEND_DATE')).toEqual(['2024-03-09']);
  });

  it('follows daylight saving time across a transition', async () => {
    let now = INSTANT;
    const conn = connectLocal(createDatetimeService({ timeZone: 'America/New_York' }), { now: () => now });
    expect(await conn.send('SEND_TIME')).toEqual(['01:59:58']);
    now += 4000;
    expect(await conn.send('SEND_TIME')).toEqual(['03:00:02']);
  });

  it('prints midnight as 00, not 24', async () => {
    const conn = connectLocal(createDatetimeService({ utc: true }), { now: () => Date.UTC(2025, 0, 1, 0, 0, 0) });
    expect(await conn.send('SEND_TIME')).toEqual(['00:00:00']);
    expect(await conn.send('SEND_DATE')).toEqual(['2025-01-01']);
  });

  it('pads years before 1000 to four digits', async () => {
    const conn = connectLocal(createDatetimeService({ utc: true }), { now: () => Date.UTC(999, 11, 31, 23, 59, 59) });
    expect(await conn.send('SEND_DATE')).toEqual(['0999-12-31']);
  });

  it('uses the process time zone by default', async () => {
    const now = Date.now();
    const conn = connectLocal(createDatetimeService(), { now: () => now });
    const expected = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
    expect(await conn.send('SEND_DATE')).toEqual([expected]);
  });

  it.each(['send_date', 'SEND_DATETIME', '', 'HELLO', 'SEND DATE'])('answers %j with ERROR unknown request', async (request) => {
    const conn = connectLocal(createDatetimeService({ utc: true }), { now: () => INSTANT });
    expect(await conn.send(request)).toEqual(['ERROR unknown request']);
  });

  it('ignores whitespace around a request', async () => {
    const conn = connectLocal(createDatetimeService({ utc: true }), { now: () => INSTANT });
    expect(await conn.send(' SEND_DATE \t')).toEqual(['2024-03-10']);
  });

  it('refuses an unknown time zone and a conflicting utc option', () => {
    expect(() => createDatetimeService({ timeZone: 'Mars/Olympus_Mons' })).toThrow(DatetimeError);
    expect(() => createDatetimeService({ utc: true, timeZone: 'Europe/Paris' })).toThrow(DatetimeError);
    expect(() => createDatetimeService({ utc: true, timeZone: 'UTC' })).not.toThrow();
  });

  it('answers a datagram the codec rejected with its reason', () => {
    const error = Object.assign(new Error('x'), { code: 'ERR_DATAGRAM_TOO_LARGE' });
    expect(createDatetimeService().malformed?.(error, peer)).toEqual(['ERROR datagram too large']);
  });
});
