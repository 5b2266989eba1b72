/**
 * Client suite of docs/protocols/atm.md: netlab plays the bank (over TCP) and the network, runs
 * the ATM client command once per case (`{host}`, `{port}`, `{card}`, `{pin}`, and the amount as
 * `{amount}` in currency units, `25.00`, or `{cents}` in minor units, `2500`), and checks every
 * envelope the client sent: a login as request 1 of a fresh client id, a MAC on every later one,
 * a withdrawal confirmed once its cash is out, and after a lost request or a lost reply the
 * **same** request id with the same payload again, so nothing is applied twice.
 */
import type { ClientCase, ClientCaseContext, ClientSuite } from '../case.js';
import type { ClientRunResult } from '../client-process.js';
import { CaseFailure } from '../errors.js';
import { showBytes } from '../escape.js';
import { CLIENT_RUN_TIMEOUT_MS, clientCase, expectExit } from '../client-suites/helpers.js';
import { type BankScript, type ReceivedEnvelope, type ScriptedBank, startScriptedBank } from './scripted-bank.js';

const X = 'atm';
/** The card, PIN, balance and amount every case uses (`{card}`, `{pin}`, `{amount}` / `{cents}`). */
export const CLIENT_CARD = '123456789';
export const CLIENT_PIN = '1234';
export const CLIENT_BALANCE = 100_000;
export const CLIENT_AMOUNT_CENTS = 2500;
const AFTER = CLIENT_BALANCE - CLIENT_AMOUNT_CENTS;
/** The balance after the withdrawal, as a client may print it: `975.00` or `97500`. */
const AFTER_PRINTED = new RegExp(`(^|[^0-9.])(${AFTER / 100}\\.00|${AFTER})([^0-9]|$)`, 'u');

const VARS = { card: CLIENT_CARD, pin: CLIENT_PIN, amount: (CLIENT_AMOUNT_CENTS / 100).toFixed(2), cents: String(CLIENT_AMOUNT_CENTS) };

function outputOf(run: ClientRunResult): string {
  return `stdout ${showBytes(run.stdout)}${run.stderr.trim() === '' ? '' : `; stderr ${showBytes(run.stderr)}`}`;
}

async function runAtm(ctx: ClientCaseContext, script: Partial<BankScript> = {}, bank?: ScriptedBank): Promise<{ bank: ScriptedBank; run: ClientRunResult }> {
  const used = bank ?? (await startScriptedBank(ctx, { card: CLIENT_CARD, pin: CLIENT_PIN, balance: CLIENT_BALANCE, ...script }));
  const run = await ctx.client.run({ endpoint: used.endpoint, vars: VARS, timeoutMs: ctx.ms(CLIENT_RUN_TIMEOUT_MS) });
  return { bank: used, run };
}

const idOf = (e: ReceivedEnvelope): string => `${e.clientId}#${e.seq}`;

/** Nothing the bank saw was against the protocol (ids reused for other payloads, bad MACs, a login that is not request 1). */
function expectNoViolations(bank: ScriptedBank, run: ClientRunResult): void {
  const [first] = bank.violations;
  if (first !== undefined) throw new CaseFailure(`${first}${bank.violations.length > 1 ? ` (and ${bank.violations.length - 1} more)` : ''} (client ${outputOf(run)})`);
}

/** Every copy of `op` is the same request id with the same payload; it ran once. */
function expectSameIdRetransmitted(bank: ScriptedBank, op: string, fault: string, run: ClientRunResult): void {
  const copies = bank.received.filter((e) => e.op === op);
  const [first, ...rest] = copies;
  if (first === undefined) throw new CaseFailure(`the client sent no ${op} (client ${outputOf(run)})`);
  if (rest.length === 0) throw new CaseFailure(`the ${op} ${idOf(first)} was ${fault}; expected the client to send it again with the same request id; it never did (client ${outputOf(run)})`);
  for (const copy of rest) {
    if (idOf(copy) !== idOf(first)) throw new CaseFailure(`the ${op} ${idOf(first)} was ${fault}; expected it again with the same request id ${idOf(first)}; the client sent it as ${idOf(copy)} (a new request id: the bank cannot tell it is the same ${op} and may run it twice)`);
    if (copy.canonical !== first.canonical) throw new CaseFailure(`the ${op} ${idOf(first)} was ${fault}; expected the same payload again; first ${showBytes(first.canonical)}, then ${showBytes(copy.canonical)}`);
  }
  if (bank.applied(op) !== 1) throw new CaseFailure(`${op} ran ${bank.applied(op)} times at the bank; expected once`);
}

/** A withdrawal of the amount ran once and its cash was confirmed (once), and the client said so with exit 0. */
function expectWithdrawn(bank: ScriptedBank, run: ClientRunResult, timeoutMs: number): void {
  expectExit(run, true, timeoutMs);
  expectNoViolations(bank, run);
  const withdraw = bank.received.find((e) => e.op === 'withdraw');
  if (withdraw === undefined) throw new CaseFailure(`the client never sent a withdraw (client ${outputOf(run)})`);
  if (withdraw.payload.amount !== CLIENT_AMOUNT_CENTS) throw new CaseFailure(`expected a withdraw of "amount": ${CLIENT_AMOUNT_CENTS} (minor units); got ${showBytes(withdraw.canonical)}`);
  if (bank.applied('withdraw') !== 1) throw new CaseFailure(`withdraw ran ${bank.applied('withdraw')} times at the bank; expected once`);
  const confirm = bank.received.find((e) => e.op === 'confirm');
  if (confirm === undefined) throw new CaseFailure(`the client never confirmed the withdrawal (docs/protocols/atm.md: confirm once the cash is dispensed, else the funds stay held) (client ${outputOf(run)})`);
  if (confirm.payload.withdrawal !== withdraw.payload.withdrawal) throw new CaseFailure(`the confirm names ${showBytes(String(confirm.payload.withdrawal))}; expected the withdrawal id ${showBytes(String(withdraw.payload.withdrawal))}`);
  if (bank.applied('confirm') !== 1) throw new CaseFailure(`confirm ran ${bank.applied('confirm')} times at the bank; expected once`);
  if (bank.balance() !== AFTER) throw new CaseFailure(`the bank's balance is ${bank.balance()}; expected ${AFTER}`);
  if (!AFTER_PRINTED.test(run.stdout)) throw new CaseFailure(`expected the client to print the new balance (${(AFTER / 100).toFixed(2)} or ${AFTER}); it printed ${outputOf(run)}`);
}

const cases: ClientCase[] = [
  clientCase(X, 'withdraw', 'logs in as request 1 of a fresh client id, withdraws with a MAC, confirms, prints the new balance, exit 0', async (ctx) => {
    const { bank, run } = await runAtm(ctx);
    expectWithdrawn(bank, run, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
    const login = bank.received[0];
    if (login?.op !== 'login' || login.seq !== 1 || login.ack !== 0 || login.hasMac) throw new CaseFailure(`expected the first envelope to be a login, seq 1, ack 0, no mac; got ${login === undefined ? 'nothing' : `${login.op} ${idOf(login)} ack ${login.ack}${login.hasMac ? ' with a mac' : ''}`}`);
  }),
  clientCase(X, 'lost-reply', 'after a lost withdraw reply (connection closed after the bank committed) resends the same request id, and it runs once', async (ctx) => {
    const { bank, run } = await runAtm(ctx, { faults: { withdraw: { 0: 'lose-reply' } } });
    expectSameIdRetransmitted(bank, 'withdraw', 'answered but its reply was lost', run);
    expectWithdrawn(bank, run, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
  }),
  clientCase(X, 'lost-request', 'after a lost withdraw request (connection closed before it ran) resends the same request id', async (ctx) => {
    const { bank, run } = await runAtm(ctx, { faults: { withdraw: { 0: 'lose-request' } } });
    expectSameIdRetransmitted(bank, 'withdraw', 'lost on the way', run);
    expectWithdrawn(bank, run, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
  }),
  clientCase(X, 'lost-confirm-reply', 'after a lost confirm reply resends the same confirm (same request id), and it runs once', async (ctx) => {
    const { bank, run } = await runAtm(ctx, { faults: { confirm: { 0: 'lose-reply' } } });
    expectSameIdRetransmitted(bank, 'confirm', 'answered but its reply was lost', run);
    expectWithdrawn(bank, run, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
  }),
  clientCase(X, 'fresh-client-id', 'two runs take two client ids (a login is request 1 of a client id nobody used)', async (ctx) => {
    const first = await runAtm(ctx);
    expectWithdrawn(first.bank, first.run, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
    const second = await ctx.client.run({ endpoint: first.bank.endpoint, vars: VARS, timeoutMs: ctx.ms(CLIENT_RUN_TIMEOUT_MS) });
    expectExit(second, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
    expectNoViolations(first.bank, second);
    const ids = new Set(first.bank.received.filter((e) => e.op === 'login').map((e) => e.clientId));
    if (ids.size !== 2) throw new CaseFailure(`expected two logins under two client ids; got ${[...ids].map((id) => showBytes(id)).join(', ')}`);
  }),
  clientCase(X, 'declined', 'a declined withdrawal (INSUFFICIENT_FUNDS) is reported with its code and a non-zero status, and never confirmed', async (ctx) => {
    const { bank, run } = await runAtm(ctx, { declineWithdrawals: 'INSUFFICIENT_FUNDS' });
    expectExit(run, false, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
    expectNoViolations(bank, run);
    if (bank.received.some((e) => e.op === 'confirm')) throw new CaseFailure('the client confirmed a withdrawal the bank declined');
    if (!`${run.stdout}${run.stderr}`.includes('INSUFFICIENT_FUNDS')) throw new CaseFailure(`expected the client to report INSUFFICIENT_FUNDS; it printed ${outputOf(run)}`);
  }),
  clientCase(X, 'incorrect-pin', 'a login declined INCORRECT_PIN is reported with a non-zero status, and nothing else is sent', async (ctx) => {
    const { bank, run } = await runAtm(ctx, { pin: '4321' });
    expectExit(run, false, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
    expectNoViolations(bank, run);
    const after = bank.received.filter((e) => e.op !== 'login');
    if (after.some((e) => e.op === 'withdraw')) throw new CaseFailure(`after an INCORRECT_PIN login the client still sent ${after.map((e) => e.op).join(', ')}`);
    if (!/INCORRECT_PIN|incorrect pin/iu.test(`${run.stdout}${run.stderr}`)) throw new CaseFailure(`expected the client to say the PIN was incorrect (INCORRECT_PIN); it printed ${outputOf(run)}`);
  }),
];

export const atmClientSuite: ClientSuite = { role: 'client', exercise: X, transport: 'tcp', cases };
