/**
 * The memory ledger: the bank's rows live in the memory store's transactional key space, so the
 * request log's record and the ledger change are applied together (or, when the effect throws,
 * neither). Keys: `atm:meta`, `atm:account:<card>`, `atm:session:<token>`,
 * `atm:sessions-of:<card>` (that card's tokens), `atm:withdrawal:<id>`, `atm:journal:<n>` and
 * `atm:journal-next`. Not durable by itself; hand its `state` to a new ledger to model a restart.
 */
import {
  type JsonValue,
  type MemoryEffect,
  type MemoryStore,
  type MemoryStoreState,
  type MemoryTx,
  createMemoryStore,
} from '@netlab/request-log';
import { DEMO_ACCOUNTS } from './demo-accounts.js';
import type { AccountSummary, AtmLedger, LedgerAudit, LedgerOptions } from './ledger.js';
import type { AccountRow, JournalEntry, SessionRow, WithdrawalRow } from './ledger-core.js';
import { assembleAudit, hashSeedAccounts, prepareRequest, resolveLimits, runOperationSync } from './ledger-support.js';
import { MAX_PIN_TRIES } from './pin.js';

export interface MemoryLedgerOptions extends LedgerOptions {
  /** State to continue from (a modelled restart). Default: a new store, seeded. */
  readonly state?: MemoryStoreState;
}

export interface MemoryLedger extends AtmLedger<MemoryEffect> {
  readonly store: MemoryStore;
}

const META = 'atm:meta';
const JOURNAL_NEXT = 'atm:journal-next';
const accountKey = (card: string): string => `atm:account:${card}`;
const sessionKey = (token: string): string => `atm:session:${token}`;
const sessionsOfKey = (card: string): string => `atm:sessions-of:${card}`;
const withdrawalKey = (id: string): string => `atm:withdrawal:${id}`;

type Reader = Pick<MemoryTx, 'get'>;

/** Rows are plain JSON objects; interfaces just lack the index signature that says so. */
const json = (value: object): JsonValue => value as JsonValue;

// The store holds what this module wrote under each key prefix; the casts restate that.
const readAccount = (reader: Reader, key: string): AccountRow | undefined => reader.get(key) as AccountRow | undefined;
const readSession = (reader: Reader, key: string): SessionRow | undefined => reader.get(key) as SessionRow | undefined;
const readWithdrawal = (reader: Reader, key: string): WithdrawalRow | undefined => reader.get(key) as WithdrawalRow | undefined;
const readTokens = (reader: Reader, key: string): string[] => (reader.get(key) as string[] | undefined) ?? [];
const readNumber = (reader: Reader, key: string): number => (reader.get(key) as number | undefined) ?? 0;

/** Creates (and on a new state, seeds) a memory ledger. */
export async function createMemoryAtmLedger(options: MemoryLedgerOptions = {}): Promise<MemoryLedger> {
  const limits = resolveLimits(options.limits);
  const store = createMemoryStore(options.state === undefined ? {} : { state: options.state });
  const data = store.state.data;
  if (!data.has(META)) {
    const accounts = await hashSeedAccounts(options, DEMO_ACCOUNTS);
    for (const account of accounts) data.set(accountKey(account.card), json({ ...account }));
    data.set(META, { initialTotal: accounts.reduce((sum, account) => sum + account.balance, 0) });
    data.set(JOURNAL_NEXT, 0);
  }
  const snapshot: Reader = { get: (key) => data.get(key) };

  return {
    kind: 'memory',
    store,
    limits,
    prepare: (payload) => prepareRequest(payload, (card) => Promise.resolve(readAccount(snapshot, accountKey(card))?.pinHash)),
    effect: (prepared) => (tx, _payload, context) =>
      runOperationSync(prepared, context, limits, {
        account: (card) => readAccount(tx, accountKey(card)),
        session: (token) => readSession(tx, sessionKey(token)),
        withdrawal: (id) => readWithdrawal(tx, withdrawalKey(id)),
        write(changes) {
          if (changes.account !== undefined) {
            const account = readAccount(tx, accountKey(changes.account.card));
            if (account === undefined) throw new Error('account vanished inside the transaction');
            tx.set(accountKey(account.card), json({ ...account, balance: changes.account.balance, pinTries: changes.account.pinTries }));
          }
          const purge = changes.purgeExpiredSessionsOf;
          if (purge !== undefined) {
            const tokens = readTokens(tx, sessionsOfKey(purge.card));
            const live = tokens.filter((token) => {
              const session = readSession(tx, sessionKey(token));
              if (session !== undefined && session.expiresAt > purge.now) return true;
              tx.delete(sessionKey(token));
              return false;
            });
            tx.set(sessionsOfKey(purge.card), live);
          }
          if (changes.deleteSession !== undefined) {
            const session = readSession(tx, sessionKey(changes.deleteSession));
            tx.delete(sessionKey(changes.deleteSession));
            if (session !== undefined) {
              const tokens = readTokens(tx, sessionsOfKey(session.card));
              tx.set(sessionsOfKey(session.card), tokens.filter((token) => token !== session.token));
            }
          }
          if (changes.putSession !== undefined) {
            const session = changes.putSession;
            if (readSession(tx, sessionKey(session.token)) === undefined) {
              tx.set(sessionsOfKey(session.card), [...(readTokens(tx, sessionsOfKey(session.card))), session.token]);
            }
            tx.set(sessionKey(session.token), json({ ...session }));
          }
          if (changes.putWithdrawal !== undefined) tx.set(withdrawalKey(changes.putWithdrawal.id), json({ ...changes.putWithdrawal }));
        },
        append(entry) {
          const next = readNumber(tx, JOURNAL_NEXT);
          tx.set(`atm:journal:${next}`, json({ ...entry }));
          tx.set(JOURNAL_NEXT, next + 1);
        },
      }) as unknown as JsonValue,
    audit(): Promise<LedgerAudit> {
      let balances = 0;
      let accounts = 0;
      let deposited = 0;
      const negativeAccounts: string[] = [];
      const withdrawals = new Map<string, { count: number; amount: number }>();
      const journal = new Map<string, number>();
      for (const [key, value] of data) {
        if (key.startsWith('atm:account:')) {
          const account = value as unknown as AccountRow;
          accounts++;
          balances += account.balance;
          if (account.balance < 0) negativeAccounts.push(account.card);
        } else if (key.startsWith('atm:withdrawal:')) {
          const withdrawal = value as unknown as WithdrawalRow;
          const entry = withdrawals.get(withdrawal.status) ?? { count: 0, amount: 0 };
          entry.count++;
          entry.amount += withdrawal.amount;
          withdrawals.set(withdrawal.status, entry);
        } else if (key.startsWith('atm:journal:')) {
          const entry = value as unknown as JournalEntry;
          const id = `${entry.terminal}:${entry.seq}`;
          journal.set(id, (journal.get(id) ?? 0) + 1);
          if (entry.op === 'deposit' && entry.code === 'APPROVED') deposited += entry.amount ?? 0;
        }
      }
      return Promise.resolve(
        assembleAudit({
          initialTotal: (snapshot.get(META) as { initialTotal: number } | undefined)?.initialTotal ?? 0,
          deposited,
          balances,
          accounts,
          negativeAccounts,
          withdrawals: [...withdrawals].map(([status, w]) => ({ status, ...w })),
          journal: [...journal].map(([id, count]) => ({ id, count })),
        }),
      );
    },
    accounts(): Promise<readonly AccountSummary[]> {
      const list: AccountSummary[] = [];
      for (const [key, value] of data) {
        if (!key.startsWith('atm:account:')) continue;
        const account = value as unknown as AccountRow;
        list.push({ card: account.card, holder: account.holder, balance: account.balance, locked: account.pinTries >= MAX_PIN_TRIES });
      }
      return Promise.resolve(list.sort((a, b) => (a.card < b.card ? -1 : a.card > b.card ? 1 : 0)));
    },
    close: () => store.close(),
  };
}
