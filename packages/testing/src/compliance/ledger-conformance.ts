/**
 * The ATM ledger conformance suite: one set of scenarios every bank runs (the memory, SQLite and
 * PostgreSQL ledgers of `@netlab/service-atm`, and a user's own). Each scenario talks to the
 * bank's service through {@link AtmTerminal}, which speaks only the documented wire protocol,
 * and reads the outcome back through the harness's audit, account list and raw dump. It covers
 * the flows, exactly-once replays, the PIN-try lock, limits, concurrency, crash recovery, and the
 * authority model: sessions bound to their terminal, withdrawals settled only by their session,
 * envelopes that nobody without the session key can forge, and no PIN material in the store.
 *
 * Import it from a vitest file (vitest is this subpath's peer dependency):
 *
 *     describeLedgerConformance({ name: 'mine', open: async ({ now }) => … });
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scryptSync } from 'node:crypto';
import { type AtmReplyValue, AtmTerminal, type BankConnection, atmPinBlock, canonicalPayload, replyValue, sha256Hex } from './atm-terminal.js';

/** An account the harness seeds its bank with. */
export interface ConformanceAccount {
  readonly card: string;
  readonly holder: string;
  readonly pin: string;
  readonly balance: number;
}

/** The accounts every bank under test is seeded with. */
export const CONFORMANCE_ACCOUNTS: readonly ConformanceAccount[] = [
  { card: '123456789', holder: 'Lab User', pin: '1234', balance: 100_000 },
  { card: '1000000002', holder: 'Sami', pin: '5678', balance: 4_572_000 },
];

/** What the suite reads of a ledger's audit (`LedgerAudit` of `@netlab/service-atm` fits). */
export interface ConformanceAudit {
  readonly initialTotal: number;
  readonly deposited: number;
  readonly balances: number;
  readonly held: number;
  readonly dispensed: number;
  readonly balanced: boolean;
  readonly negativeAccounts: readonly string[];
  readonly journalEntries: number;
  readonly applied: ReadonlyMap<string, number>;
  readonly withdrawals: { readonly held: number; readonly dispensed: number; readonly reversed: number };
}

/** An account as the ledger lists it. */
export interface ConformanceAccountSummary {
  readonly card: string;
  readonly holder: string;
  readonly balance: number;
  readonly locked: boolean;
}

/** One open bank. */
export interface LedgerUnderTest {
  /** A new connection to the bank's service. */
  connect(): BankConnection;
  audit(): Promise<ConformanceAudit>;
  accounts(): Promise<readonly ConformanceAccountSummary[]>;
  /** Every row of every table (or map) the bank and its request log keep, as text. */
  dump(): Promise<readonly string[]>;
  /** Drops everything in process memory and reopens the same durable state with the same bank key. */
  reopen(): Promise<LedgerUnderTest>;
  close(): Promise<void>;
}

export interface LedgerHarness {
  readonly name: string;
  /**
   * A new bank seeded with {@link CONFORMANCE_ACCOUNTS} (PIN hash cost at most 8, so the suite can
   * brute-force it), its request log on the clock `now`, sessions idle after `sessionIdleMs`.
   */
  open(options: { readonly now: () => number; readonly sessionIdleMs?: number }): Promise<LedgerUnderTest>;
}

const [LAB, SAMI] = CONFORMANCE_ACCOUNTS as [ConformanceAccount, ConformanceAccount];
const INITIAL_TOTAL = LAB.balance + SAMI.balance;

/** Every 4-digit PIN. */
const ALL_PINS = Array.from({ length: 10_000 }, (_, n) => String(n).padStart(4, '0'));

/** Registers the suite for `harness`. */
export function describeLedgerConformance(harness: LedgerHarness): void {
  describe(`${harness.name} ledger conformance`, () => {
    const open: LedgerUnderTest[] = [];
    afterEach(async () => {
      for (const bank of open.splice(0)) await bank.close();
    });

    interface Context {
      bank: LedgerUnderTest;
      clock: { now: number };
      /** A new terminal on its own connection. */
      terminal: () => AtmTerminal;
      /** A new terminal, logged in (approval checked). */
      session: (account?: ConformanceAccount) => Promise<AtmTerminal>;
    }

    async function withBank(body: (context: Context) => Promise<void>, sessionIdleMs?: number): Promise<void> {
      const clock = { now: 1_700_000_000_000 };
      const bank = await harness.open({ now: () => clock.now, ...(sessionIdleMs === undefined ? {} : { sessionIdleMs }) });
      open.push(bank);
      const terminal = (): AtmTerminal => new AtmTerminal(bank.connect());
      await body({
        bank,
        clock,
        terminal,
        session: async (account = LAB) => {
          const atm = terminal();
          expect(await atm.login(account.card, account.pin)).toMatchObject({ code: 'APPROVED', holder: account.holder });
          return atm;
        },
      });
    }

    describe('flows', () => {
      it('seeds the accounts and balances the books from the start', async () => {
        await withBank(async ({ bank }) => {
          const accounts = await bank.accounts();
          expect(accounts.map((a) => [a.card, a.holder, a.balance, a.locked])).toEqual([
            [SAMI.card, SAMI.holder, SAMI.balance, false],
            [LAB.card, LAB.holder, LAB.balance, false],
          ]);
          expect(await bank.audit()).toMatchObject({ initialTotal: INITIAL_TOTAL, balances: INITIAL_TOTAL, deposited: 0, held: 0, dispensed: 0, balanced: true, journalEntries: 0 });
        });
      });

      it('logs in, answers the balance, deposits, withdraws with confirmation, and logs out', async () => {
        await withBank(async ({ bank, session }) => {
          const atm = await session();
          expect(await atm.op({ op: 'balance' })).toMatchObject({ code: 'APPROVED', balance: 100_000 });
          expect(await atm.op({ op: 'deposit', amount: 20_000 })).toMatchObject({ code: 'APPROVED', balance: 120_000 });
          expect(await atm.op({ op: 'withdraw', withdrawal: 'w-1', amount: 50_000 })).toMatchObject({ code: 'APPROVED', balance: 70_000 });
          expect(await bank.audit()).toMatchObject({ held: 50_000, dispensed: 0, balanced: true });
          expect(await atm.op({ op: 'confirm', withdrawal: 'w-1' })).toMatchObject({ code: 'APPROVED', amount: 50_000 });
          expect(await atm.op({ op: 'logout' })).toMatchObject({ code: 'APPROVED' });
          expect(await atm.op({ op: 'balance' })).toMatchObject({ code: 'UNKNOWN_SESSION' });
          const audit = await bank.audit();
          expect(audit).toMatchObject({ deposited: 20_000, held: 0, dispensed: 50_000, balances: INITIAL_TOTAL - 30_000, balanced: true, journalEntries: 7 });
          expect([...audit.applied.values()].every((n) => n === 1)).toBe(true);
        });
      });

      it('replays a retransmitted withdrawal from the log instead of withdrawing twice', async () => {
        await withBank(async ({ bank, session }) => {
          const atm = await session();
          const request = { op: 'withdraw', session: atm.session, withdrawal: 'w-1', amount: 10_000 };
          const first = await atm.raw(2, request, 1);
          const second = await atm.raw(2, request, 1);
          expect(first).toMatchObject({ status: 'done', replay: false });
          expect(second).toMatchObject({ status: 'done', replay: true });
          expect(second.status === 'done' && first.status === 'done' && second.body === first.body).toBe(true);
          const audit = await bank.audit();
          expect(audit).toMatchObject({ held: 10_000, balances: INITIAL_TOTAL - 10_000, balanced: true });
          expect(audit.applied.get(`${atm.clientId}:2`)).toBe(1);
        });
      });

      it('locks a card after three wrong PINs counted across sessions and terminals', async () => {
        await withBank(async ({ bank, terminal, session }) => {
          expect(await terminal().login(LAB.card, '1111')).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 2 });
          expect(await terminal().login(LAB.card, '2222')).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 1 });
          expect(await terminal().login(LAB.card, '3333')).toMatchObject({ code: 'PIN_TRIES_EXCEEDED' });
          expect(await terminal().login(LAB.card, LAB.pin)).toMatchObject({ code: 'PIN_TRIES_EXCEEDED' });
          expect((await bank.accounts()).find((a) => a.card === LAB.card)?.locked).toBe(true);
          await session(SAMI);
        });
      });

      it('resets the count after a right PIN, and answers UNKNOWN_CARD for a card it does not have', async () => {
        await withBank(async ({ terminal }) => {
          expect(await terminal().login(LAB.card, '1111')).toMatchObject({ code: 'INCORRECT_PIN' });
          expect(await terminal().login(LAB.card, '1111')).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 1 });
          expect(await terminal().login(LAB.card, LAB.pin)).toMatchObject({ code: 'APPROVED' });
          expect(await terminal().login(LAB.card, '1111')).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 2 });
          expect(await terminal().login('555555555', '1234')).toMatchObject({ code: 'UNKNOWN_CARD' });
        });
      });

      it('expires an idle session', async () => {
        await withBank(async ({ session, clock }) => {
          const atm = await session();
          clock.now += 500;
          expect(await atm.op({ op: 'balance' })).toMatchObject({ code: 'APPROVED' });
          clock.now += 999;
          expect(await atm.op({ op: 'balance' })).toMatchObject({ code: 'APPROVED' });
          clock.now += 1_000;
          expect(await atm.op({ op: 'balance' })).toMatchObject({ code: 'SESSION_EXPIRED' });
          expect(await atm.op({ op: 'balance' })).toMatchObject({ code: 'UNKNOWN_SESSION' });
        }, 1_000);
      });

      it('reverses a withdrawal whose cash did not come out, idempotently, and refuses to confirm it then', async () => {
        await withBank(async ({ bank, session }) => {
          const atm = await session();
          await atm.op({ op: 'withdraw', withdrawal: 'w-1', amount: 30_000 });
          expect(await atm.op({ op: 'reverse', withdrawal: 'w-1' })).toMatchObject({ code: 'APPROVED', balance: 100_000 });
          expect(await atm.op({ op: 'reverse', withdrawal: 'w-1' })).toMatchObject({ code: 'APPROVED' });
          expect(await atm.op({ op: 'confirm', withdrawal: 'w-1' })).toMatchObject({ code: 'WITHDRAWAL_REVERSED' });
          expect(await atm.op({ op: 'balance' })).toMatchObject({ balance: 100_000 });
          expect(await bank.audit()).toMatchObject({ held: 0, dispensed: 0, balanced: true, withdrawals: { reversed: 1 } });
        });
      });

      it('acknowledges a reversal that overtook its original, and then declines the late original', async () => {
        await withBank(async ({ bank, session }) => {
          const atm = await session();
          // seq 2 is the authorization, delayed in the network; seq 3 the reversal the ATM sent after giving up.
          expect(replyValue(await atm.raw(3, { op: 'reverse', session: atm.session, withdrawal: 'w-late' }, 1))).toMatchObject({ code: 'APPROVED', amount: 0 });
          expect(replyValue(await atm.raw(2, { op: 'withdraw', session: atm.session, withdrawal: 'w-late', amount: 40_000 }, 1))).toMatchObject({ code: 'WITHDRAWAL_REVERSED' });
          expect(await bank.audit()).toMatchObject({ balances: INITIAL_TOTAL, held: 0, balanced: true });
        });
      });

      it('refuses to reverse dispensed cash and to reuse a withdrawal id', async () => {
        await withBank(async ({ session }) => {
          const atm = await session();
          await atm.op({ op: 'withdraw', withdrawal: 'w-1', amount: 1_000 });
          await atm.op({ op: 'confirm', withdrawal: 'w-1' });
          expect(await atm.op({ op: 'reverse', withdrawal: 'w-1' })).toMatchObject({ code: 'WITHDRAWAL_COMPLETED' });
          expect(await atm.op({ op: 'withdraw', withdrawal: 'w-1', amount: 1_000 })).toMatchObject({ code: 'DUPLICATE_TRANSACTION' });
          expect(await atm.op({ op: 'confirm', withdrawal: 'w-none' })).toMatchObject({ code: 'UNKNOWN_WITHDRAWAL' });
        });
      });

      it('declines insufficient funds, invalid amounts and amounts over the limits', async () => {
        await withBank(async ({ bank, session }) => {
          const atm = await session();
          expect(await atm.op({ op: 'withdraw', withdrawal: 'w-1', amount: 100_001 })).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: 100_000 });
          expect(await atm.op({ op: 'withdraw', withdrawal: 'w-2', amount: 0 })).toMatchObject({ code: 'INVALID_AMOUNT' });
          expect(await atm.op({ op: 'deposit', amount: -5 })).toMatchObject({ code: 'INVALID_AMOUNT' });
          expect(await atm.op({ op: 'deposit', amount: 12.5 })).toMatchObject({ code: 'INVALID_AMOUNT' });
          expect(await atm.op({ op: 'deposit', amount: 5_000_001 })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
          expect(await atm.op({ op: 'withdraw', withdrawal: 'w-3', amount: 2_000_001 })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
          expect(await atm.op({ op: 'withdraw', withdrawal: 'w-4', amount: 100_000 })).toMatchObject({ code: 'APPROVED', balance: 0 });
          expect(await bank.audit()).toMatchObject({ balanced: true, negativeAccounts: [] });
        });
      });

      it('answers an invalid payload INVALID_REQUEST, naming the field but never its value, and records nothing', async () => {
        await withBank(async ({ bank, terminal }) => {
          const atm = terminal();
          const reply = replyValue(await atm.raw(1, { op: 'login', card: LAB.card, pin: '7391' }, 0, 'none'));
          expect(reply.code).toBe('INVALID_REQUEST');
          expect(reply.message).not.toContain('7391');
          expect(reply.message).toMatch(/pin/);
          expect((await bank.audit()).journalEntries).toBe(0);
          expect((await bank.dump()).join('\n')).not.toContain(atm.clientId);
        });
      });

      it('never drives an account negative when many ATMs withdraw from it at the same moment', async () => {
        await withBank(async ({ bank, session }) => {
          const atms = await Promise.all(Array.from({ length: 12 }, () => session()));
          // 12 × 100.00 against 1,000.00: ten fit.
          const replies = await Promise.all(atms.map((atm, i) => atm.op({ op: 'withdraw', withdrawal: `w-${i}`, amount: 10_000 })));
          expect(replies.filter((r) => r.code === 'APPROVED')).toHaveLength(10);
          expect(replies.filter((r) => r.code === 'INSUFFICIENT_FUNDS')).toHaveLength(2);
          expect(await bank.audit()).toMatchObject({ negativeAccounts: [], held: 100_000, balanced: true });
          expect((await bank.accounts()).find((a) => a.card === LAB.card)?.balance).toBe(0);
        });
      });

      it('keeps every committed change and record across a crash', async () => {
        const clock = { now: 1_700_000_000_000 };
        let bank = await harness.open({ now: () => clock.now });
        try {
          const atm = new AtmTerminal(bank.connect());
          await atm.login(LAB.card, LAB.pin);
          const withdraw = { op: 'withdraw', session: atm.session, withdrawal: 'w-1', amount: 25_000 };
          const first = await atm.raw(2, withdraw, 1);
          bank = await bank.reopen();
          const again = new AtmTerminal(bank.connect(), atm.clientId);
          again.key = atm.key;
          again.session = atm.session;
          const replay = await again.raw(2, withdraw, 1);
          expect(replay).toMatchObject({ status: 'done', replay: true });
          expect(replay.status === 'done' && first.status === 'done' && replay.body === first.body).toBe(true);
          expect(replyValue(await again.raw(3, { op: 'confirm', session: atm.session, withdrawal: 'w-1' }, 2))).toMatchObject({ code: 'APPROVED' });
          expect(replyValue(await again.raw(4, { op: 'balance', session: atm.session }, 3))).toMatchObject({ code: 'APPROVED', balance: 75_000 });
          expect(await bank.audit()).toMatchObject({ dispensed: 25_000, balanced: true, journalEntries: 4 });
        } finally {
          await bank.close();
        }
      });
    });

    describe('authority', () => {
      it('refuses a confirmation or reversal from any other session (NOT_PERMITTED), and changes nothing', async () => {
        await withBank(async ({ bank, session }) => {
          const owner = await session();
          const other = await session(SAMI);
          const sameCard = await session();
          await owner.op({ op: 'withdraw', withdrawal: 'w-owned', amount: 20_000 });
          for (const stranger of [other, sameCard]) {
            expect(await stranger.op({ op: 'reverse', withdrawal: 'w-owned' })).toMatchObject({ code: 'NOT_PERMITTED' });
            expect(await stranger.op({ op: 'confirm', withdrawal: 'w-owned' })).toMatchObject({ code: 'NOT_PERMITTED' });
          }
          expect(await bank.audit()).toMatchObject({ held: 20_000, dispensed: 0, withdrawals: { held: 1, reversed: 0 }, balanced: true });
          expect(await owner.op({ op: 'confirm', withdrawal: 'w-owned' })).toMatchObject({ code: 'APPROVED' });
          expect(await other.op({ op: 'reverse', withdrawal: 'w-owned' })).toMatchObject({ code: 'NOT_PERMITTED' });
          expect(await bank.audit()).toMatchObject({ held: 0, dispensed: 20_000, balanced: true });
        });
      });

      it('lets the authorizing session settle its withdrawal even after it logged out', async () => {
        await withBank(async ({ bank, session }) => {
          const atm = await session();
          const token = atm.session;
          await atm.op({ op: 'withdraw', withdrawal: 'w-late', amount: 5_000 });
          await atm.op({ op: 'logout' });
          expect(await atm.send({ op: 'confirm', session: token, withdrawal: 'w-late' })).toMatchObject({ code: 'APPROVED' });
          expect(await bank.audit()).toMatchObject({ held: 0, dispensed: 5_000 });
        });
      });

      it('refuses a session token presented by another client id (ERR_UNAUTHENTICATED), running nothing', async () => {
        await withBank(async ({ bank, session }) => {
          const victim = await session();
          const thief = await session(SAMI);
          const journal = (await bank.audit()).journalEntries;
          // The thief knows the victim's token, and even MACs with its own key; or with none at all.
          for (const mac of ['session', 'none'] as const) {
            const reply = await thief.raw(thief.lastSeq + 1, { op: 'withdraw', session: victim.session, withdrawal: `w-theft-${mac}`, amount: 10_000 }, thief.lastSeq, mac);
            expect(reply).toMatchObject({ status: 'error', code: 'ERR_UNAUTHENTICATED' });
          }
          expect(await bank.audit()).toMatchObject({ journalEntries: journal, held: 0, balances: INITIAL_TOTAL });
          expect(await victim.op({ op: 'balance' })).toMatchObject({ code: 'APPROVED', balance: 100_000 });
        });
      });

      it('refuses a forged envelope for another terminal: its watermark does not move and its next request runs', async () => {
        await withBank(async ({ bank, session, terminal }) => {
          const victim = await session();
          const forger = terminal();
          const forged = { op: 'balance', session: victim.session };
          for (const mac of ['none', { mac: 'ab'.repeat(32) }] as const) {
            expect(await forger.raw(1000, forged, 999, mac, victim.clientId)).toMatchObject({ status: 'error', code: 'ERR_UNAUTHENTICATED' });
          }
          // A login cannot carry a watermark either: it must be seq 1, ack 0.
          const login = { op: 'login', card: SAMI.card, pinBlock: atmPinBlock(SAMI.card, '0000'), dh: '02'.padStart(512, '0') };
          expect(await forger.raw(1000, login, 999, 'none', victim.clientId)).toMatchObject({ status: 'error', code: 'ERR_INVALID_REQUEST' });
          // seq 1 of an id in use: the victim's own login record, so a mismatch; nothing changes.
          expect(await forger.raw(1, login, 0, 'none', victim.clientId)).toMatchObject({ status: 'error', code: 'ERR_MISMATCH' });
          const withdrawal = await victim.op({ op: 'withdraw', withdrawal: 'w-after', amount: 1_000 });
          expect(withdrawal).toMatchObject({ code: 'APPROVED', balance: 99_000 });
          expect((await bank.audit()).applied.get(`${victim.clientId}:${victim.lastSeq}`)).toBe(1);
        });
      });

      it('answers a retransmitted login from its record, and a changed PIN block under the same id ERR_MISMATCH', async () => {
        await withBank(async ({ bank, terminal }) => {
          const atm = terminal();
          const payload = { op: 'login', card: LAB.card, pinBlock: atmPinBlock(LAB.card, '1111'), dh: '05'.padStart(512, '0') };
          const first = await atm.raw(1, payload, 0, 'none');
          const again = await atm.raw(1, payload, 0, 'none');
          expect(again).toMatchObject({ status: 'done', replay: true });
          expect(again.status === 'done' && first.status === 'done' && again.body === first.body).toBe(true);
          const changed = await atm.raw(1, { ...payload, pinBlock: atmPinBlock(LAB.card, '2222') }, 0, 'none');
          expect(changed).toMatchObject({ status: 'error', code: 'ERR_MISMATCH', fields: ['pinBlock'] });
          expect((await bank.accounts()).find((a) => a.card === LAB.card)).toMatchObject({ locked: false });
          expect(await terminal().login(LAB.card, '3333')).toMatchObject({ code: 'INCORRECT_PIN', triesLeft: 1 });
        });
      });

      it('answers a retransmitted logout from its record after the session ended', async () => {
        await withBank(async ({ session }) => {
          const atm = await session();
          const first = await atm.raw(2, { op: 'logout', session: atm.session }, 1);
          const again = await atm.raw(2, { op: 'logout', session: atm.session }, 1);
          expect(again).toMatchObject({ status: 'done', replay: true });
          expect(again.status === 'done' && first.status === 'done' && again.body === first.body).toBe(true);
        });
      });

      it('keeps nothing from which a 4-digit PIN can be brute-forced, after right, wrong and abandoned logins', { timeout: 60_000 }, async () => {
        await withBank(async ({ bank, terminal, session }) => {
          const atms: AtmTerminal[] = [];
          // Right, then abandoned (never acknowledged: the login record stays); wrong; unknown card; a logged-out session.
          const abandoned = terminal();
          await abandoned.login(LAB.card, LAB.pin);
          const wrong = terminal();
          await wrong.login(SAMI.card, '9753');
          const unknown = terminal();
          await unknown.login('555555555', '2468');
          const used = await session(SAMI);
          await used.op({ op: 'balance' });
          await used.op({ op: 'logout' });
          atms.push(abandoned, wrong, unknown, used);
          const rows = (await bank.dump()).join('\n');
          expect(rows.length).toBeGreaterThan(0);
          const secrets: { card: string; pin: string }[] = [
            { card: LAB.card, pin: LAB.pin },
            { card: SAMI.card, pin: '9753' },
            { card: '555555555', pin: '2468' },
            { card: SAMI.card, pin: SAMI.pin },
          ];
          const lower = rows.toLowerCase();
          // Unkeyed functions of a PIN block: the block itself, its SHA-256, the login payload's SHA-256.
          for (const { card, pin } of secrets) {
            const block = atmPinBlock(card, pin);
            expect(lower, `PIN block of ${card}`).not.toContain(block);
            expect(lower, `SHA-256 of the PIN block of ${card}`).not.toContain(sha256Hex(block));
          }
          for (const atm of atms) {
            for (const payload of atm.loginPayloads) {
              expect(lower, 'SHA-256 of a login payload').not.toContain(sha256Hex(canonicalPayload(payload)));
            }
          }
          // Brute force, as a thief with only the database would: every 4-digit PIN against every
          // stored scrypt hash with its own salt and parameters (cheap: the suite's cost is low).
          const hashes = [...rows.matchAll(/k?scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([0-9a-f]+)\$([0-9a-f]{64})/g)];
          expect(hashes.length).toBeGreaterThanOrEqual(CONFORMANCE_ACCOUNTS.length);
          let guessed = 0;
          for (const [text, cost, r, p, salt, hash] of hashes) {
            const N = 2 ** Number(cost);
            if (N > 256) throw new Error(`the harness must seed with a PIN hash cost of at most 8, not ${cost}`);
            // The row that holds the hash names its card; guess against that card's PIN blocks.
            const line = rows.split('\n').find((row) => row.includes(text)) ?? '';
            for (const account of CONFORMANCE_ACCOUNTS.filter((a) => line.includes(a.card))) {
              const found = ALL_PINS.find(
                (pin) => scryptSync(atmPinBlock(account.card, pin), Buffer.from(salt ?? '', 'hex'), 32, { N, r: Number(r), p: Number(p) }).toString('hex') === hash,
              );
              expect(found, `a PIN of card ${account.card} recovered from a stored hash`).toBeUndefined();
              guessed++;
            }
          }
          expect(guessed).toBeGreaterThanOrEqual(CONFORMANCE_ACCOUNTS.length);
          // And the wire protocol still works for the right PIN.
          await session();
        });
      });
    });

    describe('bounded growth', () => {
      it('records nothing for requests that prove no authority', async () => {
        await withBank(async ({ bank, terminal }) => {
          const before = (await bank.dump()).length;
          const journal = (await bank.audit()).journalEntries;
          for (let i = 0; i < 25; i++) {
            const atm = terminal();
            await atm.raw(1, { op: 'nonsense', n: i }, 0, 'none');
            await atm.raw(1, { op: 'balance', session: 'ab'.repeat(32) }, 0, 'none');
          }
          expect((await bank.dump()).length).toBe(before);
          expect((await bank.audit()).journalEntries).toBe(journal);
        });
      });
    });
  });
}

export type { AtmReplyValue };
