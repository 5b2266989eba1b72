/**
 * The memory ledger: the bank's rows live in the memory store's transactional key space, so the
 * request log's record and the ledger change are applied together (or, when the effect throws,
 * neither). Keys: `atm:meta` (`initialTotal`, `keyCheck`), `atm:account:<card>`,
 * `atm:session:<token>`, `atm:sessions-of:<card>` (that card's tokens), `atm:withdrawal:<id>`,
 * `atm:journal:<n>`, `atm:journal-next` and `atm:deposited` (Σ approved deposits). Not durable
 * by itself; hand its `state` (and the same bank key) to a new ledger to model a restart.
 *
 * The journal is bounded: only the last `maxJournalEntries` entries are kept (older ones are
 * deleted as new ones arrive), while the deposit total and the entry count are kept as running
 * figures, so the audit's books stay exact and a server on the memory store does not grow with
 * every balance inquiry. The audit's `applied` map covers the entries kept.
 */
import {
  type JsonValue,
  type MemoryEffect,
  type MemoryStore,
  type MemoryStoreState,
  type MemoryTx,
  createMemoryStore,
} from '@netlab/request-log';
import { assembleAudit } from './audit.js';
import { createBankKey, generateBankKeySecret } from './bank-key.js';
import { DEMO_ACCOUNTS } from './demo-accounts.js';
import { AtmError, assertIntegerOption } from './errors.js';
import type { AccountSummary, AtmLedger, LedgerAudit, LedgerOptions } from './ledger.js';
import type { AccountRow, JournalEntry, SessionRow, WithdrawalRow } from './ledger-core.js';
import { resolveLimits } from './limits.js';
import { MAX_PIN_TRIES, pepperLegacyPinHash } from './pin.js';
import { prepareRequest } from './prepare.js';
import { runOperationSync } from './run-operation.js';
import { checkBankKey, hashSeedAccounts } from './seed.js';

/** Default bound on the memory ledger's journal: the last 100,000 entries. */
export const DEFAULT_MAX_JOURNAL_ENTRIES = 100_000;

export interface MemoryLedgerOptions extends LedgerOptions {
  /** State to continue from (a modelled restart; give the same `bankKey`). Default: a new store, seeded. */
  readonly state?: MemoryStoreState;
  /** The bank key's 32 bytes. Default: random (fine for a store that lives as long as the process). */
  readonly bankKey?: Uint8Array;
  /** Journal entries kept (the oldest go first). Default {@link DEFAULT_MAX_JOURNAL_ENTRIES}. */
  readonly maxJournalEntries?: number;
}

export interface MemoryLedger extends AtmLedger<MemoryEffect> {
  readonly store: MemoryStore;
}

interface Meta {
  readonly initialTotal: number;
  readonly keyCheck?: number;
}

const META = 'atm:meta';
const JOURNAL_NEXT = 'atm:journal-next';
const DEPOSITED = 'atm:deposited';
const ACCOUNT_PREFIX = 'atm:account:';
const accountKey = (card: string): string => `${ACCOUNT_PREFIX}${card}`;
const sessionKey = (token: string): string => `atm:session:${token}`;
const sessionsOfKey = (card: string): string => `atm:sessions-of:${card}`;
const withdrawalKey = (id: string): string => `atm:withdrawal:${id}`;
const journalKey = (n: number): string => `atm:journal:${n}`;

type Reader = Pick<MemoryTx, 'get'>;

/** Rows are plain JSON objects; interfaces just lack the index signature that says so. */
const json = (value: object): JsonValue => value as JsonValue;

// The store holds what this module wrote under each key prefix; the casts restate that.
const readAccount = (reader: Reader, key: string): AccountRow | undefined => reader.get(key) as AccountRow | undefined;
const readSession = (reader: Reader, key: string): SessionRow | undefined => reader.get(key) as SessionRow | undefined;
const readWithdrawal = (reader: Reader, key: string): WithdrawalRow | undefined => reader.get(key) as WithdrawalRow | undefined;
const readTokens = (reader: Reader, key: string): string[] => (reader.get(key) as string[] | undefined) ?? [];
const readNumber = (reader: Reader, key: string): number => (reader.get(key) as number | undefined) ?? 0;
const readMeta = (reader: Reader): Meta | undefined => reader.get(META) as Meta | undefined;

/** Creates (and on a new state, seeds) a memory ledger. */
export async function createMemoryAtmLedger(options: MemoryLedgerOptions = {}): Promise<MemoryLedger> {
  const limits = resolveLimits(options.limits);
  const maxJournal = options.maxJournalEntries ?? DEFAULT_MAX_JOURNAL_ENTRIES;
  assertIntegerOption('maxJournalEntries', maxJournal, 1, 100_000_000);
  const key = createBankKey(options.bankKey ?? generateBankKeySecret());
  const store = createMemoryStore(options.state === undefined ? {} : { state: options.state });
  const data = store.state.data;
  const snapshot: Reader = { get: (k) => data.get(k) };
  const meta = readMeta(snapshot);
  if (meta === undefined) {
    const accounts = await hashSeedAccounts(options, DEMO_ACCOUNTS, key);
    for (const account of accounts) data.set(accountKey(account.card), json({ ...account }));
    data.set(META, { initialTotal: accounts.reduce((sum, account) => sum + account.balance, 0), keyCheck: key.check });
    data.set(JOURNAL_NEXT, 0);
  } else if (checkBankKey(meta.keyCheck, key) === 'upgrade') {
    for (const [k, value] of data) {
      if (!k.startsWith(ACCOUNT_PREFIX)) continue;
      const account = value as unknown as AccountRow;
      data.set(k, json({ ...account, pinHash: pepperLegacyPinHash(account.pinHash, key) }));
    }
    data.set(META, { ...meta, keyCheck: key.check });
  }

  const settings = { limits, key };
  return {
    kind: 'memory',
    store,
    limits,
    bankKey: key,
    prepare: (request) => prepareRequest(request, (card) => Promise.resolve(readAccount(snapshot, accountKey(card))?.pinHash), key),
    effect: (prepared) => (tx, _payload, context) =>
      runOperationSync(prepared, context, settings, {
        account: (card) => readAccount(tx, accountKey(card)),
        session: (token) => readSession(tx, sessionKey(token)),
        withdrawal: (id) => readWithdrawal(tx, withdrawalKey(id)),
        write(changes) {
          if (changes.account !== undefined) {
            const account = readAccount(tx, accountKey(changes.account.card));
            if (account === undefined) throw new AtmError('ERR_CORRUPT_LEDGER', 'account vanished inside the transaction');
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
              tx.set(sessionsOfKey(session.card), [...readTokens(tx, sessionsOfKey(session.card)), session.token]);
            }
            tx.set(sessionKey(session.token), json({ ...session }));
          }
          if (changes.putWithdrawal !== undefined) tx.set(withdrawalKey(changes.putWithdrawal.id), json({ ...changes.putWithdrawal }));
        },
        append(entry) {
          const next = readNumber(tx, JOURNAL_NEXT);
          tx.set(journalKey(next), json({ ...entry }));
          tx.set(JOURNAL_NEXT, next + 1);
          if (next >= maxJournal) tx.delete(journalKey(next - maxJournal));
          if (entry.op === 'deposit' && entry.code === 'APPROVED') tx.set(DEPOSITED, readNumber(tx, DEPOSITED) + (entry.amount ?? 0));
        },
      }),
    audit(): Promise<LedgerAudit> {
      let balances = 0;
      let accounts = 0;
      const negativeAccounts: string[] = [];
      const withdrawals = new Map<string, { count: number; amount: number }>();
      const journal = new Map<string, number>();
      for (const [k, value] of data) {
        if (k.startsWith(ACCOUNT_PREFIX)) {
          const account = value as unknown as AccountRow;
          accounts++;
          balances += account.balance;
          if (account.balance < 0) negativeAccounts.push(account.card);
        } else if (k.startsWith('atm:withdrawal:')) {
          const withdrawal = value as unknown as WithdrawalRow;
          const entry = withdrawals.get(withdrawal.status) ?? { count: 0, amount: 0 };
          entry.count++;
          entry.amount += withdrawal.amount;
          withdrawals.set(withdrawal.status, entry);
        } else if (k.startsWith('atm:journal:')) {
          const entry = value as unknown as JournalEntry;
          const id = `${entry.terminal}:${entry.seq}`;
          journal.set(id, (journal.get(id) ?? 0) + 1);
        }
      }
      return Promise.resolve(
        assembleAudit({
          initialTotal: readMeta(snapshot)?.initialTotal ?? 0,
          deposited: readNumber(snapshot, DEPOSITED),
          balances,
          accounts,
          negativeAccounts,
          withdrawals: [...withdrawals].map(([status, w]) => ({ status, ...w })),
          journal: [...journal].map(([id, count]) => ({ id, count })),
          journalEntries: readNumber(snapshot, JOURNAL_NEXT),
        }),
      );
    },
    accounts(): Promise<readonly AccountSummary[]> {
      const list: AccountSummary[] = [];
      for (const [k, value] of data) {
        if (!k.startsWith(ACCOUNT_PREFIX)) continue;
        const account = value as unknown as AccountRow;
        list.push({ card: account.card, holder: account.holder, balance: account.balance, locked: account.pinTries >= MAX_PIN_TRIES });
      }
      return Promise.resolve(list.sort((a, b) => (a.card < b.card ? -1 : a.card > b.card ? 1 : 0)));
    },
    unlock(card) {
      const account = data.get(accountKey(card)) as unknown as AccountRow | undefined;
      if (account === undefined) return Promise.resolve(false);
      data.set(accountKey(card), json({ ...account, pinTries: 0 }));
      return Promise.resolve(true);
    },
    close: () => store.close(),
  };
}
