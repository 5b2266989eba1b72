/**
 * What every ledger (memory, SQLite, PostgreSQL) offers: a request-log store whose transaction
 * also holds the bank's tables, the effect that runs one ATM operation inside it, and an audit
 * that reads the whole ledger back for invariant checks.
 */
import type { RequestLogStore } from '@netlab/request-log';
import type { BankKey } from './bank-key.js';
import type { AtmRequest } from './messages.js';
import type { LedgerLimits } from './ledger-core.js';
import type { SeedAccount } from './demo-accounts.js';
import type { PreparedRequest } from './prepare.js';

export type { PreparedRequest } from './prepare.js';

/** Options every ledger factory accepts. */
export interface LedgerOptions {
  /** Accounts to seed a NEW store with (an existing store keeps its own). Default {@link DEMO_ACCOUNTS}. */
  readonly accounts?: readonly SeedAccount[];
  /** scrypt cost (log2 N) used to hash the seeded PINs. Default {@link DEFAULT_PIN_HASH_COST}. */
  readonly pinHashCost?: number;
  /** Limits and session idle time. Default {@link DEFAULT_LEDGER_LIMITS} (fields may be given one by one). */
  readonly limits?: Partial<LedgerLimits>;
}

/** Everything read back from a ledger, for invariant checks (the chaos run, the tests). */
export interface LedgerAudit {
  /** Σ opening balances of the seeded accounts. */
  readonly initialTotal: number;
  /** Σ approved deposits (from the journal). */
  readonly deposited: number;
  /** Σ available balances. */
  readonly balances: number;
  /** Σ authorized withdrawals neither confirmed nor reversed. */
  readonly held: number;
  /** Σ confirmed withdrawals: cash that left the machines. */
  readonly dispensed: number;
  /** `initialTotal + deposited === balances + held + dispensed`. */
  readonly balanced: boolean;
  /** Cards whose balance is below zero (must be empty; the schema also forbids it). */
  readonly negativeAccounts: readonly string[];
  readonly accounts: number;
  readonly journalEntries: number;
  /** Journal entries per request id (`clientId:seq`): every value must be 1. */
  readonly applied: ReadonlyMap<string, number>;
  /** Withdrawals by status. */
  readonly withdrawals: { readonly held: number; readonly dispensed: number; readonly reversed: number };
}

/** An account as listed by {@link AtmLedger.accounts} (no PIN hash). */
export interface AccountSummary {
  readonly card: string;
  readonly holder: string;
  readonly balance: number;
  readonly locked: boolean;
}

export interface AtmLedger<E> {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  /** The request-log store; hand it to `createRequestLog`. */
  readonly store: RequestLogStore<E>;
  readonly limits: LedgerLimits;
  /** The bank key the ledger was opened with (its PIN hashes are keyed by it; it authenticates sessions). */
  readonly bankKey: BankKey;
  /** Does the work that must not run inside the transaction (a login's PIN hash and key exchange). */
  prepare(request: AtmRequest): Promise<PreparedRequest>;
  /** The effect that applies a prepared request inside the store's transaction. */
  effect(prepared: PreparedRequest): E;
  audit(): Promise<LedgerAudit>;
  accounts(): Promise<readonly AccountSummary[]>;
  /**
   * Clears a card's wrong-PIN count (an operator's unlock of a locked card, outside the request
   * log: nothing is journaled). Resolves false when no account has that card.
   */
  unlock(card: string): Promise<boolean>;
  /** Closes the store (idempotent; `RequestLog.close()` closes it too). */
  close(): Promise<void>;
}
