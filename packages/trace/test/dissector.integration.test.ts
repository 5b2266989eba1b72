import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TraceRecord, traceToPcapng } from '../src/index.js';
import { PIN_BLOCK, atmBalance, atmLogin, atmWithdraw, frame, reply, serverTrace, staleReply } from './synthetic.js';
import { DISSECTOR, HAS_TSHARK, NO_TSHARK, tempDir, tshark } from './tshark.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function capture(records: readonly TraceRecord[]): string {
  const dir = tempDir();
  cleanups.push(() => { dir.remove(); });
  return dir.file('capture.pcapng', traceToPcapng(records));
}

const LUA = ['-X', `lua_script:${DISSECTOR}`];

/** One row per frame that has any of the fields: `[frame, field1, field2…]` (multiple values joined by `,`). */
function fields(file: string, names: readonly string[], extra: readonly string[] = []): string[][] {
  const result = tshark(['-r', file, ...LUA, ...extra, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', '-e', 'frame.number', ...names.flatMap((name) => ['-e', name])]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((row) => row.slice(1).some((value) => value !== ''));
}

function expert(file: string): string {
  const result = tshark(['-r', file, ...LUA, '-q', '-z', 'expert']);
  expect(result.stderr).toBe('');
  return result.stdout;
}

function verbose(file: string): string {
  const result = tshark(['-r', file, ...LUA, '-V']);
  expect(result.stderr).toBe('');
  expect(result.stdout).not.toMatch(/Lua Error|Dissector bug/);
  return result.stdout;
}

describe.skipIf(!HAS_TSHARK)(HAS_TSHARK ? 'netlab.lua under tshark' : `netlab.lua under tshark (SKIPPED: ${NO_TSHARK})`, { timeout: 90_000 }, () => {
  beforeAll(() => {
    if (!HAS_TSHARK) console.warn(NO_TSHARK);
  });

  it('reassembles a line split across segments and splits lines coalesced in one', () => {
    const file = capture(
      serverTrace(7102, [
        ['in', 'gr'],
        ['in', 'üß dich\nhel'],
        ['in', 'lo\r\nbye\n'],
        ['out', 'grüß dich\nhello\n'],
        ['out', 'Goodbye\n'],
      ]),
    );
    const rows = fields(file, ['netlab.line', 'netlab.command', 'netlab.role']);
    expect(rows.map((row) => row.slice(1))).toEqual([
      ['grüß dich', 'echo', 'request'],
      ['hello,bye', 'echo,bye', 'request'],
      ['grüß dich,hello', 'reply,reply', 'reply'],
      ['Goodbye', 'reply', 'reply'],
    ]);
    expect(expert(file)).not.toMatch(/^(Errors|Warns) /m);
    verbose(file);
  });

  it('labels the flow graph with the application messages', () => {
    const file = capture(serverTrace(7104, [['in', '7 prime\n'], ['out', '7 is prime\n'], ['in', 'seven prime\n'], ['out', 'ERROR not an integer\n']]));
    const { stdout } = tshark(['-r', file, ...LUA, '-q', '-z', 'flow,any,network']);
    const labels = [...stdout.matchAll(/\|netlab\/prime-palindrome: (.*)$/gm)].map((match) => match[1]?.trim());
    expect(labels).toEqual(['→ 7 prime', '← 7 is prime', '→ seven prime', '← ERROR not an integer']);
    const rows = fields(file, ['netlab.command', 'netlab.argument']);
    expect(rows.map((row) => row.slice(1))).toEqual([['prime', '7'], ['reply', '7 is prime'], ['prime', 'seven'], ['ERROR', 'not an integer']]);
    expect(expert(file)).toMatch(/The server answered ERROR not an integer/);
  });

  it('decodes request-log envelopes split and coalesced, with operation, amount and outcome, and never shows the PIN block', () => {
    const login = frame(atmLogin);
    const stream = Buffer.concat([login, frame(atmBalance)]);
    const file = capture(
      serverTrace(7110, [
        ['in', stream.subarray(0, 2)], // inside the length prefix
        ['in', stream.subarray(2, 40)], // inside the JSON
        ['in', stream.subarray(40)], // the rest of the login and the whole balance request
        ['out', Buffer.concat([frame(reply(1, { code: 'APPROVED', message: 'approved', session: 's-1' })), frame(reply(2, { code: 'APPROVED', balance: 100_000 }))])],
        ['in', frame(atmWithdraw)],
        ['out', frame(reply(3, { code: 'APPROVED', withdrawal: 'w-1', amount: 50_000, balance: 50_000 }, true))],
        ['out', frame(staleReply)],
      ]),
    );
    const rows = fields(file, ['netlab.atm.kind', 'netlab.atm.seq', 'netlab.atm.op', 'netlab.atm.amount', 'netlab.atm.outcome', 'netlab.atm.replay', 'netlab.atm.masked']);
    expect(rows.map((row) => row.slice(1))).toEqual([
      ['request,request', '1,2', 'login,balance', '', '', '', 'pinBlock (shown as ***)'],
      ['reply,reply', '1,2', '', '', 'APPROVED,APPROVED', '0,0', ''],
      ['request', '3', 'withdraw', '50000', '', '', ''],
      ['reply', '3', '', '50000', 'APPROVED', '1', ''],
      ['reply', '1', '', '', 'ERR_STALE', '', ''],
    ]);
    const info = fields(file, ['_ws.col.Info'], ['-Y', 'netlab']).map((row) => row[1]);
    expect(info).toEqual([
      '→ request atm-1#1 login | → request atm-1#2 balance',
      '← reply atm-1#1 APPROVED | ← reply atm-1#2 APPROVED',
      '→ request atm-1#3 withdraw 50000',
      '← reply atm-1#3 APPROVED (replay)',
      '← reply atm-1#1 ERR_STALE',
    ]);
    const tree = verbose(file);
    expect(tree).not.toContain(PIN_BLOCK);
    expect(tree).toContain('[Member with value: pinBlock:***]');
    const json = fields(file, ['json.member_with_value']).map((row) => row[1] ?? '');
    expect(json.join(',')).toContain('op:withdraw');
    expect(json.join(',')).not.toContain(PIN_BLOCK);
    expect(expert(file)).not.toMatch(/^(Errors|Warns) /m);
  });

  it('marks malformed frames and keeps going', () => {
    const garbage = Buffer.from('{"kind":"request",');
    const badJson = Buffer.concat([Buffer.from([0, 0, 0, garbage.length]), garbage]);
    const notEnvelope = frame({ hello: 'world' });
    const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x41, 0x41]);
    const file = capture(serverTrace(7110, [['in', Buffer.concat([badJson, notEnvelope])], ['out', frame(reply(1, { code: 'APPROVED' }))], ['in', huge]]));
    const rows = fields(file, ['netlab.atm.kind', 'netlab.frame_length', 'netlab.atm.outcome']);
    expect(rows.map((row) => row.slice(1))).toEqual([
      ['', `${garbage.length},17`, ''],
      ['reply', String(frame(reply(1, { code: 'APPROVED' })).length - 4), 'APPROVED'],
      ['', '2147483647', ''],
    ]);
    const report = expert(file);
    expect(report).toMatch(/^Errors \(3\)/m);
    expect(report).toContain('Malformed netlab ATM message: not JSON');
    expect(report).toContain('Malformed netlab ATM message: not a request-log envelope');
    expect(report).toContain('Malformed netlab ATM message: frame length 2147483647 over the 65536-byte limit');
    verbose(file);
  });

  it('warns about a line over 8192 bytes instead of buffering it', () => {
    const file = capture(serverTrace(7103, [['in', 'a'.repeat(5000)], ['in', 'a'.repeat(5000)], ['in', 'b'.repeat(100)], ['in', 'ok\n']]));
    const report = expert(file);
    expect(report).toMatch(/^Warns \(\d+\)/m);
    expect(report).toContain('Line of more than 8192 bytes');
    verbose(file);
  });

  it('decodes the UDP exercises one datagram at a time, over IPv6 too', () => {
    const datetime = capture(serverTrace(7107, [['in', 'SEND_DATE'], ['out', '2024-03-10'], ['in', 'HELLO\n'], ['out', 'ERROR unknown request']], 'udp', { addr: '::1' }));
    expect(fields(datetime, ['netlab.exercise', 'netlab.command']).map((row) => row.slice(1))).toEqual([
      ['udp-datetime', 'SEND_DATE'],
      ['udp-datetime', 'reply'],
      ['udp-datetime', 'unknown'],
      ['udp-datetime', 'ERROR'],
    ]);
    const atm = capture(serverTrace(7110, [['in', JSON.stringify(atmLogin)], ['out', JSON.stringify(reply(1, { code: 'INCORRECT_PIN', triesLeft: 2 }))], ['in', 'login please']], 'udp'));
    expect(fields(atm, ['netlab.atm.op', 'netlab.atm.outcome']).map((row) => row.slice(1))).toEqual([['login', ''], ['', 'INCORRECT_PIN']]);
    expect(verbose(atm)).not.toContain(PIN_BLOCK);
    expect(expert(atm)).toContain('Malformed netlab ATM message: not JSON');
  });

  it('follows a moved server port through the preference', () => {
    const file = capture(serverTrace(40_123, [['in', 'Who’s there?\n'], ['out', 'Turnip\n']]));
    expect(fields(file, ['netlab.command']).map((row) => row[1])).toEqual([]);
    const rows = fields(file, ['netlab.exercise', 'netlab.command'], ['-o', 'netlab.knock_knock_port:40123']);
    expect(rows.map((row) => row.slice(1))).toEqual([['knock-knock', "who's there?"], ['knock-knock', 'reply']]);
  });
});
