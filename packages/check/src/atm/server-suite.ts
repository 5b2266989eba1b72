/**
 * Server suite of docs/protocols/atm.md (TCP: u32 length-prefixed JSON frames). The bank under
 * test must hold the document's demo accounts with their PIN (1234), on a fresh store: cases
 * use one card per group so that their effects do not meet (a card locked by the security
 * group is used nowhere else), and compare balances before and after, never with fixed values.
 *
 * Groups: `basic` (the documented exchanges), `validation` (frames that are not envelopes are
 * closed without a reply; INVALID_REQUEST names the field; INVALID_AMOUNT), `authority` (MACs,
 * sessions bound to their client id, NOT_PERMITTED for another session's withdrawal),
 * `security` (PIN lockout across connections), `concurrency`, `faults` (through the fault
 * proxy) and `exactly-once` (lost request, lost reply, duplicate, late copy, kill -9 and restart:
 * each applied once, a replay byte-identical).
 */
import type { ServerCase, ServerCaseContext, ServerSuite } from '../case.js';
import { CaseFailure } from '../errors.js';
import { showBytes } from '../escape.js';
import { serverCase } from '../suites/helpers.js';
import { type AtmReply, AtmTerminal, type Envelope, doneValue, expectCode, integerField } from './terminal.js';
import { connectFrames, frame } from './wire.js';

const X = 'atm';
/** The demo PIN of every demo card (docs/protocols/atm.md, packages/service-atm/README.md). */
export const DEMO_PIN = '1234';
/** Which demo card each group uses, so that no group's effects reach another's. */
export const CARDS = {
  basic: '123456789',
  pin: '1000000003',
  deposit: '1000000002',
  authority: '1000000002',
  exactlyOnce: '1000000001',
  lockout: '1000000004',
  unknown: '999999999',
} as const;

const withdrawalId = (ctx: ServerCaseContext, tag: string): string => `chk-${tag}-${ctx.rng.int(2 ** 31).toString(36)}`;

async function loggedIn(ctx: ServerCaseContext, card: string, name = 'atm', via?: { host: string; port: number }): Promise<AtmTerminal> {
  const atm = await AtmTerminal.open(ctx, name, via);
  await atm.loginApproved(card, DEMO_PIN);
  return atm;
}

function expectBalance(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new CaseFailure(`${what}: expected the balance ${expected}; got ${actual}${actual === expected * 2 ? '' : ` (a difference of ${actual - expected})`}`);
}

/** The frame must end the connection with no reply frame; then a new client must still be served. */
async function expectClosedWithoutReply(ctx: ServerCaseContext, data: Uint8Array, what: string): Promise<void> {
  const conn = await connectFrames(ctx.target.host, ctx.target.port, 'client', ctx.ms(5000));
  ctx.defer(() => {
    conn.destroy();
  });
  await conn.send(data);
  const event = await conn.next(ctx.ms(3000));
  if (event === undefined) throw new CaseFailure(`client: sent ${what}; expected the server to close the connection without a reply (docs/protocols/atm.md: a frame that is not an envelope has no request id to answer); it stayed open for ${ctx.ms(3000)} ms`);
  if (event.kind === 'frame') throw new CaseFailure(`client: sent ${what}; expected the connection closed without a reply; got the frame ${showBytes(event.text)}`);
  conn.destroy();
  try {
    const next = await loggedIn(ctx, CARDS.basic, 'next client');
    await next.balance();
  } catch (error) {
    throw new CaseFailure(`after ${what}, a new client was not served: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The first done reply among `replies`; the others must be the same body (a replay) or ERR_IN_PROGRESS. */
function expectOneOutcome(replies: readonly AtmReply[], what: string): AtmReply {
  const done = replies.filter((r) => r.status === 'done');
  const first = done[0];
  if (first === undefined) throw new CaseFailure(`${what}: expected a done reply; got ${replies.map((r) => `${r.code} ${showBytes(r.message)}`).join(', ')}`);
  for (const other of done.slice(1)) {
    if (other.body !== first.body) throw new CaseFailure(`${what}: the copies of one request got different bodies (${difference(first.value, other.value)}); expected the stored reply byte for byte`);
  }
  for (const r of replies) {
    if (r.status === 'error' && r.code !== 'ERR_IN_PROGRESS') throw new CaseFailure(`${what}: a copy got the error ${r.code} ${showBytes(r.message)}; expected the stored reply (or ERR_IN_PROGRESS while the first copy runs)`);
  }
  return first;
}

/** What differs between two ATM replies: `balance 118400, then 119900`. */
function difference(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  if (keys.length === 0) return 'the same values, other bytes';
  return keys.map((k) => `${k} ${k in a ? JSON.stringify(a[k]) : "missing"}, then ${k in b ? JSON.stringify(b[k]) : "missing"}`).join('; ');
}

/** A retransmission must get the stored reply: done, `replay: true`, the same body byte for byte. */
function expectReplay(first: AtmReply, again: AtmReply, what: string): void {
  if (again.status !== 'done') throw new CaseFailure(`${what}: the retransmission (same request id, same payload) got the error ${again.code} ${showBytes(again.message)}; expected the stored reply`);
  if (again.body !== first.body) throw new CaseFailure(`${what}: the retransmission got another reply (${difference(first.value, again.value)}: the operation ran again?); expected the stored reply byte for byte`);
  if (!again.replay) throw new CaseFailure(`${what}: the retransmission got the same body but "replay": false; expected "replay": true (the reply came from the completion record)`);
}

const basic: ServerCase[] = [
  serverCase(X, 'basic', 'login', 'a login (request 1 of a new client id) is APPROVED with a session, the bank\'s dh and a wrapped key that MACs the next request', async (ctx) => {
    const atm = await AtmTerminal.open(ctx, 'atm');
    const value = await atm.login(CARDS.basic, DEMO_PIN);
    expectCode(value, 'APPROVED', `atm: login of card ${CARDS.basic} with PIN ${DEMO_PIN}`);
    if (!/^[0-9a-f]{64}$/u.test(atm.session)) throw new CaseFailure(`atm: login: expected "session" to be 64 hex characters; got ${showBytes(atm.session)}`);
    const balance = await atm.op({ op: 'balance' });
    expectCode(balance, 'APPROVED', 'atm: a balance MACed with the unwrapped session key');
  }),
  serverCase(X, 'basic', 'unknown-card', 'a login with a card the bank does not know is declined UNKNOWN_CARD', async (ctx) => {
    const atm = await AtmTerminal.open(ctx, 'atm');
    expectCode(await atm.login(CARDS.unknown, DEMO_PIN), 'UNKNOWN_CARD', `atm: login of card ${CARDS.unknown}`);
  }),
  serverCase(X, 'basic', 'incorrect-pin', 'a wrong PIN is INCORRECT_PIN with triesLeft 2; a right PIN resets the count', async (ctx) => {
    for (const round of [1, 2]) {
      const wrong = await AtmTerminal.open(ctx, `atm ${round}`);
      const value = await wrong.login(CARDS.pin, '9999');
      expectCode(value, 'INCORRECT_PIN', `atm ${round}: login of card ${CARDS.pin} with a wrong PIN`);
      if (value.triesLeft !== 2) throw new CaseFailure(`atm ${round}: a first wrong PIN${round === 2 ? ' after a right one' : ''}: expected "triesLeft": 2; got ${showBytes(JSON.stringify(value))}`);
      const right = await AtmTerminal.open(ctx, `atm ${round}b`);
      await right.loginApproved(CARDS.pin, DEMO_PIN);
    }
  }),
  serverCase(X, 'basic', 'balance', 'balance is APPROVED with the balance in minor units (an integer)', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.basic);
    const balance = await atm.balance();
    if (balance < 0) throw new CaseFailure(`atm: balance: expected a balance of zero or more; got ${balance}`);
  }),
  serverCase(X, 'basic', 'withdraw-confirm', 'withdraw holds the amount, confirm settles it (again: still APPROVED, nothing changes), a later reverse is WITHDRAWAL_COMPLETED', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.basic);
    const before = await atm.balance();
    const w = withdrawalId(ctx, 'wc');
    const held = await atm.op({ op: 'withdraw', withdrawal: w, amount: 2500 });
    expectCode(held, 'APPROVED', `atm: withdraw ${w} 2500`);
    expectBalance(integerField(held, 'balance', 'atm: withdraw'), before - 2500, `atm: withdraw ${w} 2500 from ${before}`);
    for (const time of ['confirm', 'confirm again']) {
      const confirmed = await atm.op({ op: 'confirm', withdrawal: w });
      expectCode(confirmed, 'APPROVED', `atm: ${time} ${w}`);
    }
    expectBalance(await atm.balance(), before - 2500, 'atm: balance after the confirmations');
    expectCode(await atm.op({ op: 'reverse', withdrawal: w }), 'WITHDRAWAL_COMPLETED', `atm: reverse of the confirmed ${w}`);
    expectBalance(await atm.balance(), before - 2500, 'atm: balance after the refused reversal');
  }),
  serverCase(X, 'basic', 'reverse', 'reverse returns a held amount (again: still APPROVED); a later confirm is WITHDRAWAL_REVERSED', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.basic);
    const before = await atm.balance();
    const w = withdrawalId(ctx, 'rv');
    expectCode(await atm.op({ op: 'withdraw', withdrawal: w, amount: 1000 }), 'APPROVED', `atm: withdraw ${w} 1000`);
    for (const time of ['reverse', 'reverse again']) expectCode(await atm.op({ op: 'reverse', withdrawal: w }), 'APPROVED', `atm: ${time} ${w}`);
    expectBalance(await atm.balance(), before, 'atm: balance after the reversal');
    expectCode(await atm.op({ op: 'confirm', withdrawal: w }), 'WITHDRAWAL_REVERSED', `atm: confirm of the reversed ${w}`);
  }),
  serverCase(X, 'basic', 'deposit', 'deposit is APPROVED with the amount and the new balance', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.deposit);
    const before = await atm.balance();
    const value = await atm.op({ op: 'deposit', amount: 2000 });
    expectCode(value, 'APPROVED', 'atm: deposit 2000');
    if (value.amount !== 2000) throw new CaseFailure(`atm: deposit 2000: expected "amount": 2000; got ${showBytes(JSON.stringify(value))}`);
    expectBalance(integerField(value, 'balance', 'atm: deposit'), before + 2000, `atm: deposit 2000 onto ${before}`);
    expectBalance(await atm.balance(), before + 2000, 'atm: balance after the deposit');
  }),
  serverCase(X, 'basic', 'insufficient-funds', 'a withdrawal of more than the balance is INSUFFICIENT_FUNDS and changes nothing', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.basic);
    const before = await atm.balance();
    const w = withdrawalId(ctx, 'nsf');
    expectCode(await atm.op({ op: 'withdraw', withdrawal: w, amount: before + 1 }), 'INSUFFICIENT_FUNDS', `atm: withdraw ${before + 1} from a balance of ${before}`);
    expectBalance(await atm.balance(), before, 'atm: balance after the declined withdrawal');
  }),
  serverCase(X, 'basic', 'logout', 'logout is APPROVED; the session is then UNKNOWN_SESSION', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.basic);
    expectCode(await atm.op({ op: 'logout' }), 'APPROVED', 'atm: logout');
    expectCode(await atm.op({ op: 'balance' }), 'UNKNOWN_SESSION', 'atm: balance after the logout');
  }),
];

const validation: ServerCase[] = [
  serverCase(X, 'validation', 'text-line', 'a text line (nc) is not a frame: the connection is closed without a reply, and the next client is served', async (ctx) => {
    await expectClosedWithoutReply(ctx, Buffer.from('balance please\n'), '"balance please\\n" (a text line, not a frame)');
  }),
  serverCase(X, 'validation', 'oversize-frame', 'a frame length over 64 KiB is closed without a reply, and the next client is served', async (ctx) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(64 * 1024 + 1);
    await expectClosedWithoutReply(ctx, Buffer.concat([head, Buffer.from('{"kind":"request"')]), 'a frame header announcing 65537 bytes');
  }),
  serverCase(X, 'validation', 'not-json', 'a frame that is not JSON is closed without a reply, and the next client is served', async (ctx) => {
    await expectClosedWithoutReply(ctx, frame('{"kind":"request",'), 'the frame "{\\"kind\\":\\"request\\"," (not JSON)');
  }),
  serverCase(X, 'validation', 'invalid-request', 'a payload that does not match the schema is INVALID_REQUEST naming the field ("amount" as a string, no "withdrawal")', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.basic);
    const before = await atm.balance();
    const probes: { payload: Record<string, string | number>; field: string }[] = [
      { payload: { op: 'withdraw', withdrawal: withdrawalId(ctx, 'iv'), amount: '2500' }, field: 'amount' },
      { payload: { op: 'withdraw', amount: 2500 }, field: 'withdrawal' },
    ];
    for (const { payload, field } of probes) {
      const value = await atm.op(payload);
      const what = `atm: sent ${showBytes(JSON.stringify(payload))}`;
      expectCode(value, 'INVALID_REQUEST', what);
      if (typeof value.message !== 'string' || !value.message.includes(field)) throw new CaseFailure(`${what}: expected the INVALID_REQUEST message to name the field "${field}"; got ${showBytes(String(value.message))}`);
    }
    expectBalance(await atm.balance(), before, 'atm: balance after the invalid requests');
  }),
  serverCase(X, 'validation', 'invalid-amount', 'zero and negative amounts are INVALID_AMOUNT and change nothing', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.basic);
    const before = await atm.balance();
    for (const amount of [0, -500]) {
      expectCode(await atm.op({ op: 'withdraw', withdrawal: withdrawalId(ctx, 'ia'), amount }), 'INVALID_AMOUNT', `atm: withdraw ${amount}`);
      expectCode(await atm.op({ op: 'deposit', amount }), 'INVALID_AMOUNT', `atm: deposit ${amount}`);
    }
    expectBalance(await atm.balance(), before, 'atm: balance after the invalid amounts');
  }),
];

const authority: ServerCase[] = [
  serverCase(X, 'authority', 'no-mac', 'a request without a MAC is ERR_UNAUTHENTICATED and records nothing (the same id with a MAC then runs)', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.authority);
    const bare = atm.envelope({ op: 'balance', session: atm.session }, { mac: 'none' });
    const refused = await atm.exchange(bare);
    if (refused.status !== 'error' || refused.code !== 'ERR_UNAUTHENTICATED') throw new CaseFailure(`atm: sent a balance without "mac"; expected the error ERR_UNAUTHENTICATED; got ${showBytes(refused.raw)}`);
    const signed = atm.envelope({ op: 'balance', session: atm.session }, { seq: bare.seq });
    expectCode(doneValue(await atm.exchange(signed), 'atm: the same request id, now with its MAC'), 'APPROVED', 'atm: the same request id, now with its MAC');
  }),
  serverCase(X, 'authority', 'wrong-mac', 'a request with a wrong MAC is ERR_UNAUTHENTICATED and changes nothing', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.authority);
    const before = await atm.balance();
    const forged = atm.envelope({ op: 'deposit', session: atm.session, amount: 700 }, { mac: 'wrong' });
    const refused = await atm.exchange(forged);
    if (refused.status !== 'error' || refused.code !== 'ERR_UNAUTHENTICATED') throw new CaseFailure(`atm: sent a deposit with a wrong "mac"; expected the error ERR_UNAUTHENTICATED; got ${showBytes(refused.raw)}`);
    const after = await atm.op({ op: 'balance' });
    expectBalance(integerField(after, 'balance', 'atm: balance'), before, 'atm: balance after the forged deposit');
  }),
  serverCase(X, 'authority', 'stolen-session', 'another client id presenting a session token (with its own MAC) is ERR_UNAUTHENTICATED', async (ctx) => {
    const victim = await loggedIn(ctx, CARDS.authority, 'victim');
    const thief = await loggedIn(ctx, CARDS.basic, 'thief');
    const reply = await thief.exchange(thief.envelope({ op: 'balance', session: victim.session }));
    if (reply.status !== 'error' || reply.code !== 'ERR_UNAUTHENTICATED') throw new CaseFailure(`thief: sent a balance with the victim's session token; expected the error ERR_UNAUTHENTICATED; got ${showBytes(reply.raw)}`);
  }),
  serverCase(X, 'authority', 'other-session-settles', 'confirm and reverse from another session are NOT_PERMITTED; the authorizing session still settles', async (ctx) => {
    const a = await loggedIn(ctx, CARDS.authority, 'atm A');
    const b = await loggedIn(ctx, CARDS.authority, 'atm B');
    const before = await a.balance();
    const w = withdrawalId(ctx, 'auth');
    expectCode(await a.op({ op: 'withdraw', withdrawal: w, amount: 3000 }), 'APPROVED', `atm A: withdraw ${w} 3000`);
    expectCode(await b.op({ op: 'reverse', withdrawal: w }), 'NOT_PERMITTED', `atm B: reverse of A's ${w}`);
    expectCode(await b.op({ op: 'confirm', withdrawal: w }), 'NOT_PERMITTED', `atm B: confirm of A's ${w}`);
    expectBalance(await a.balance(), before - 3000, 'atm A: balance after B\'s refused reversal');
    expectCode(await a.op({ op: 'reverse', withdrawal: w }), 'APPROVED', `atm A: reverse of its own ${w}`);
    expectBalance(await a.balance(), before, 'atm A: balance after its reversal');
  }),
  serverCase(X, 'authority', 'login-not-first', 'a login that is not request 1 of a new client id is ERR_INVALID_REQUEST', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.authority);
    const again = atm.envelope({ op: 'login', card: CARDS.authority, pinBlock: '0'.repeat(64), dh: '0'.repeat(511) + '2' });
    const reply = await atm.exchange(again);
    if (reply.status !== 'error' || reply.code !== 'ERR_INVALID_REQUEST') throw new CaseFailure(`atm: sent a login as request ${again.seq} of a logged-in client id; expected the error ERR_INVALID_REQUEST; got ${showBytes(reply.raw)}`);
  }),
];

const security: ServerCase[] = [
  serverCase(X, 'security', 'pin-lockout', 'three wrong PINs in a row, each on a new connection, lock the card: PIN_TRIES_EXCEEDED, then even with the right PIN', async (ctx) => {
    const expected = [
      { code: 'INCORRECT_PIN', triesLeft: 2 },
      { code: 'INCORRECT_PIN', triesLeft: 1 },
      { code: 'PIN_TRIES_EXCEEDED' },
    ];
    for (const [i, want] of expected.entries()) {
      const atm = await AtmTerminal.open(ctx, `atm ${i + 1}`);
      const value = await atm.login(CARDS.lockout, '0000');
      expectCode(value, want.code, `atm ${i + 1}: wrong PIN number ${i + 1} for card ${CARDS.lockout} (a new connection and client id)`);
      if (want.triesLeft !== undefined && value.triesLeft !== want.triesLeft) throw new CaseFailure(`atm ${i + 1}: wrong PIN number ${i + 1}: expected "triesLeft": ${want.triesLeft}; got ${showBytes(JSON.stringify(value))}`);
      atm.connection.destroy();
    }
    const late = await AtmTerminal.open(ctx, 'atm 4');
    expectCode(await late.login(CARDS.lockout, DEMO_PIN), 'PIN_TRIES_EXCEEDED', `atm 4: the right PIN for the locked card ${CARDS.lockout}`);
  }),
];

const concurrency: ServerCase[] = [
  serverCase(X, 'concurrency', 'parallel', 'serves 5 ATMs logged in at once, each on its own connection', async (ctx) => {
    const atms = await Promise.all([1, 2, 3, 4, 5].map((n) => loggedIn(ctx, CARDS.basic, `atm ${n}`)));
    await Promise.all(atms.map((atm) => atm.balance()));
  }),
  serverCase(X, 'concurrency', 'idle-client', 'serves an ATM while another connection stays open and silent', async (ctx) => {
    const idle = await connectFrames(ctx.target.host, ctx.target.port, 'idle', ctx.ms(5000));
    ctx.defer(() => {
      idle.destroy();
    });
    const atm = await loggedIn(ctx, CARDS.basic);
    await atm.balance();
  }),
];

const faults: ServerCase[] = [
  serverCase(
    X,
    'faults',
    'slicing',
    'works through a proxy that slices both directions into 1-3 byte pieces and adds 100 ms of latency (fault proxy)',
    async (ctx) => {
      const proxy = await ctx.tcpFaults({ up: { slicer: true, slicerAverageSize: 2, slicerSizeVariation: 1, slicerDelayMs: 1 }, down: { slicer: true, slicerAverageSize: 2, slicerSizeVariation: 1, slicerDelayMs: 1, latencyMs: 100 } });
      const atm = await loggedIn(ctx, CARDS.basic, 'atm', proxy);
      await atm.balance();
    },
    { needs: ['faults'] },
  ),
];

/** Sends `envelope`, takes its reply, and returns it (the caller then treats the reply as lost). */
async function runOnce(atm: AtmTerminal, envelope: Envelope): Promise<AtmReply> {
  return atm.exchange(envelope);
}

const exactlyOnce: ServerCase[] = [
  serverCase(X, 'exactly-once', 'lost-reply', 'a deposit whose reply was lost, retransmitted on a new connection with the same id, is applied once and answered from the log', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.exactlyOnce);
    const before = await atm.balance();
    const deposit = atm.envelope({ op: 'deposit', session: atm.session, amount: 1500 });
    const first = await runOnce(atm, deposit);
    doneValue(first, 'atm: deposit 1500');
    await atm.reconnect();
    expectReplay(first, await atm.exchange(deposit), 'atm: deposit 1500 retransmitted after its reply was lost');
    expectBalance(await atm.balance(), before + 1500, 'atm: balance after one deposit of 1500 sent twice');
  }),
  serverCase(
    X,
    'exactly-once',
    'lost-request',
    'a deposit lost on the way (the proxy resets the connection), then retransmitted with the same id, is applied once (fault proxy)',
    async (ctx) => {
      const atm = await loggedIn(ctx, CARDS.exactlyOnce);
      const before = await atm.balance();
      const deposit = atm.envelope({ op: 'deposit', session: atm.session, amount: 1700 });
      const proxy = await ctx.tcpFaults({ resetPeer: 1 });
      await atm.reconnect(proxy);
      await atm.connection.send(frame(deposit.text)).catch(() => undefined);
      const lost = await atm.connection.next(ctx.ms(3000));
      if (lost?.kind === 'frame') throw new CaseFailure(`internal: the fault proxy let a reply through (${showBytes(lost.text)})`);
      await atm.reconnect();
      const reply = await atm.exchange(deposit);
      expectCode(doneValue(reply, 'atm: deposit 1700 retransmitted'), 'APPROVED', 'atm: deposit 1700 retransmitted after the first copy was lost');
      expectBalance(await atm.balance(), before + 1700, 'atm: balance after one deposit of 1700');
    },
    { needs: ['faults'] },
  ),
  serverCase(X, 'exactly-once', 'duplicate', 'two copies of a deposit in one segment: applied once, both answered with the same body (or ERR_IN_PROGRESS)', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.exactlyOnce);
    const before = await atm.balance();
    const deposit = atm.envelope({ op: 'deposit', session: atm.session, amount: 1100 });
    await atm.connection.send(Buffer.concat([frame(deposit.text), frame(deposit.text)]));
    const replies = [await atm.awaitReply(deposit), await atm.awaitReply(deposit)];
    const outcome = expectOneOutcome(replies, 'atm: deposit 1100 sent twice in one segment');
    expectCode(outcome.value, 'APPROVED', 'atm: deposit 1100 sent twice');
    if (replies.every((r) => r.status === 'done' && !r.replay)) throw new CaseFailure('atm: deposit 1100 sent twice: both copies got "replay": false (both ran?); expected the second answered from the log');
    expectBalance(await atm.balance(), before + 1100, 'atm: balance after one deposit of 1100 sent twice');
  }),
  serverCase(X, 'exactly-once', 'late-copy', 'a late copy of a deposit, arriving after the next request was answered, gets the stored reply and is not applied again', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.exactlyOnce);
    const before = await atm.balance();
    const deposit = atm.envelope({ op: 'deposit', session: atm.session, amount: 1300 });
    const balance = atm.envelope({ op: 'balance', session: atm.session }, { ack: deposit.seq - 1 });
    const first = await atm.exchange(deposit);
    doneValue(first, 'atm: deposit 1300');
    doneValue(await atm.exchange(balance), 'atm: balance after the deposit');
    expectReplay(first, await atm.exchange(deposit), 'atm: a late copy of deposit 1300 after the next request');
    expectBalance(await atm.balance(), before + 1300, 'atm: balance after one deposit of 1300');
  }),
  serverCase(X, 'exactly-once', 'retransmitted-withdrawal', 'a withdrawal retransmitted after a lost reply holds the amount once; confirm then settles it', async (ctx) => {
    const atm = await loggedIn(ctx, CARDS.exactlyOnce);
    const before = await atm.balance();
    const w = withdrawalId(ctx, 'eo');
    const withdraw = atm.envelope({ op: 'withdraw', session: atm.session, withdrawal: w, amount: 900 });
    const first = await atm.exchange(withdraw);
    expectCode(doneValue(first, `atm: withdraw ${w} 900`), 'APPROVED', `atm: withdraw ${w} 900`);
    await atm.reconnect();
    expectReplay(first, await atm.exchange(withdraw), `atm: withdraw ${w} 900 retransmitted`);
    expectCode(await atm.op({ op: 'confirm', withdrawal: w }), 'APPROVED', `atm: confirm ${w}`);
    expectBalance(await atm.balance(), before - 900, 'atm: balance after one withdrawal of 900');
  }),
  serverCase(
    X,
    'exactly-once',
    'kill-restart',
    'after kill -9 and a restart with the same command: a retransmitted deposit is answered from the log, the session and its held withdrawal survive, the books balance',
    async (ctx) => {
      const atm = await loggedIn(ctx, CARDS.exactlyOnce);
      const before = await atm.balance();
      const w = withdrawalId(ctx, 'kill');
      expectCode(await atm.op({ op: 'withdraw', withdrawal: w, amount: 800 }), 'APPROVED', `atm: withdraw ${w} 800`);
      const deposit = atm.envelope({ op: 'deposit', session: atm.session, amount: 2100 });
      const first = await atm.exchange(deposit);
      doneValue(first, 'atm: deposit 2100');
      await ctx.restartTarget();
      await atm.reconnect();
      expectReplay(first, await atm.exchange(deposit), 'atm: deposit 2100 retransmitted to the restarted server');
      expectCode(await atm.op({ op: 'confirm', withdrawal: w }), 'APPROVED', `atm: confirm ${w} (held before the kill)`);
      expectBalance(await atm.balance(), before - 800 + 2100, 'atm: balance after the restart');
    },
    { needs: ['server-cmd'], timeoutMs: 60_000 },
  ),
];

export const atmServerSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [...basic, ...validation, ...authority, ...security, ...concurrency, ...faults, ...exactlyOnce],
};
