/**
 * Plumbing shared by the three ledgers: limits, seeding, the work done before a transaction
 * (validation, PIN candidate hashing) and the load → decide → write sequence, in a synchronous
 * form (memory, SQLite: the transaction cannot span an await) and an asynchronous one
 * (PostgreSQL). Not exported from the package: each ledger is.
 */
import { randomBytes } from 'node:crypto';
import type { EffectContext, JsonValue } from '@netlab/request-log';
import type { SeedAccount } from './demo-accounts.js';
import { AtmError, assertIntegerOption } from './errors.js';
import type { LedgerAudit, LedgerOptions, PreparedRequest } from './ledger.js';
import {
  type AccountRow,
  DEFAULT_LEDGER_LIMITS,
  type JournalEntry,
  type LedgerChanges,
  type LedgerLimits,
  type LoadedRows,
  type OperationOutcome,
  type SessionRow,
  type WithdrawalRow,
  decideOperation,
  invalidRequestOutcome,
  rowsNeeded,
} from './ledger-core.js';
import { parseAtmRequest } from './messages.js';
import type { AtmReply } from './messages.js';
import { DEFAULT_PIN_HASH_COST, createPinBlock, hashPinBlock, hashPinCandidate, pinHashMatches } from './pin.js';
import { MAX_AMOUNT_MINOR } from './amount.js';

/** Merges and checks limits. */
export function resolveLimits(limits: Partial<LedgerLimits> = {}): LedgerLimits {
  const resolved = { ...DEFAULT_LEDGER_LIMITS, ...limits };
  assertIntegerOption('limits.sessionIdleMs', resolved.sessionIdleMs, 1, 2 ** 31 - 1);
  assertIntegerOption('limits.withdrawalLimit', resolved.withdrawalLimit, 1, MAX_AMOUNT_MINOR);
  assertIntegerOption('limits.depositLimit', resolved.depositLimit, 1, MAX_AMOUNT_MINOR);
  assertIntegerOption('limits.maxBalance', resolved.maxBalance, 1, 2 ** 52);
  return resolved;
}

/** Hashes the seed accounts' PINs; the result holds no PIN. */
export async function hashSeedAccounts(options: LedgerOptions, defaults: readonly SeedAccount[]): Promise<AccountRow[]> {
  const accounts = options.accounts ?? defaults;
  const cost = options.pinHashCost ?? DEFAULT_PIN_HASH_COST;
  const cards = new Set<string>();
  return Promise.all(
    accounts.map(async (account) => {
      if (cards.has(account.card)) throw new AtmError('ERR_INVALID_OPTION', `card ${account.card} is seeded twice`);
      cards.add(account.card);
      if (!Number.isSafeInteger(account.balance) || account.balance < 0) {
        throw new AtmError('ERR_INVALID_OPTION', `the opening balance of card ${account.card} must be a non-negative integer (minor units)`);
      }
      const pinHash = await hashPinBlock(createPinBlock(account.card, account.pin), cost);
      return { card: account.card, holder: account.holder, pinHash, balance: account.balance, pinTries: 0 };
    }),
  );
}

/** Validates the payload and, for a login, hashes the PIN candidate with the account's salt. */
export async function prepareRequest(payload: JsonValue, storedHash: (card: string) => Promise<string | undefined>): Promise<PreparedRequest> {
  const parsed = parseAtmRequest(payload);
  if (!parsed.ok) return { request: { invalid: parsed.message } };
  const request = parsed.request;
  if (request.op !== 'login') return { request };
  return { request, pinCandidate: await hashPinCandidate(request.pinBlock, await storedHash(request.card)) };
}

/** A random session token: 32 hex characters. */
export function newSessionToken(): string {
  return randomBytes(16).toString('hex');
}

/** Synchronous reads and writes inside an open transaction (memory, SQLite). */
export interface SyncLedgerIo {
  account(card: string): AccountRow | undefined;
  session(token: string): SessionRow | undefined;
  withdrawal(id: string): WithdrawalRow | undefined;
  write(changes: LedgerChanges): void;
  append(entry: JournalEntry): void;
}

/** The same, asynchronous (PostgreSQL); reads lock the rows they return. */
export interface AsyncLedgerIo {
  /** Serializes transactions on one withdrawal id (taken first: a lock order that cannot deadlock). */
  lockWithdrawal(id: string): Promise<void>;
  account(card: string): Promise<AccountRow | undefined>;
  session(token: string): Promise<SessionRow | undefined>;
  withdrawal(id: string): Promise<WithdrawalRow | undefined>;
  write(changes: LedgerChanges): Promise<void>;
  append(entry: JournalEntry): Promise<void>;
}

function outcomeOf(prepared: PreparedRequest, rows: LoadedRows, context: EffectContext, limits: LedgerLimits): OperationOutcome {
  const request = prepared.request;
  if ('invalid' in request) return invalidRequestOutcome(request.invalid, { terminal: context.clientId, seq: context.seq, now: context.now });
  const account = rows.account;
  const pinMatches = request.op === 'login' && account !== undefined && prepared.pinCandidate !== undefined
    ? pinHashMatches(prepared.pinCandidate, account.pinHash)
    : false;
  return decideOperation(request, rows, {
    terminal: context.clientId,
    seq: context.seq,
    now: context.now,
    limits,
    pinMatches,
    ...(request.op === 'login' ? { newSessionToken: newSessionToken() } : {}),
  });
}

/** Load, decide, write, journal: synchronously, inside the caller's transaction. */
export function runOperationSync(prepared: PreparedRequest, context: EffectContext, limits: LedgerLimits, io: SyncLedgerIo): AtmReply {
  const request = prepared.request;
  let rows: LoadedRows = {};
  if (!('invalid' in request)) {
    const needs = rowsNeeded(request);
    const withdrawal = needs.withdrawal === undefined ? undefined : io.withdrawal(needs.withdrawal);
    const session = needs.session === undefined ? undefined : io.session(needs.session);
    const card = needs.card ?? session?.card ?? (request.op === 'reverse' ? (withdrawal?.card ?? undefined) : undefined);
    rows = { withdrawal, session, account: card === undefined ? undefined : io.account(card) };
  }
  const outcome = outcomeOf(prepared, rows, context, limits);
  io.write(outcome.changes);
  io.append(outcome.journal);
  return outcome.reply;
}

/** Load (locking), decide, write, journal: asynchronously, inside the caller's transaction. */
export async function runOperationAsync(prepared: PreparedRequest, context: EffectContext, limits: LedgerLimits, io: AsyncLedgerIo): Promise<AtmReply> {
  const request = prepared.request;
  let rows: LoadedRows = {};
  if (!('invalid' in request)) {
    const needs = rowsNeeded(request);
    // Lock order: withdrawal id, then session, then account. Every operation follows it.
    if (needs.withdrawal !== undefined) await io.lockWithdrawal(needs.withdrawal);
    const withdrawal = needs.withdrawal === undefined ? undefined : await io.withdrawal(needs.withdrawal);
    const session = needs.session === undefined ? undefined : await io.session(needs.session);
    const card = needs.card ?? session?.card ?? (request.op === 'reverse' ? (withdrawal?.card ?? undefined) : undefined);
    rows = { withdrawal, session, account: card === undefined ? undefined : await io.account(card) };
  }
  const outcome = outcomeOf(prepared, rows, context, limits);
  await io.write(outcome.changes);
  await io.append(outcome.journal);
  return outcome.reply;
}

/** The raw figures a store reads for an audit. */
export interface AuditFigures {
  readonly initialTotal: number;
  readonly deposited: number;
  readonly balances: number;
  readonly accounts: number;
  readonly negativeAccounts: readonly string[];
  readonly withdrawals: readonly { readonly status: string; readonly count: number; readonly amount: number }[];
  readonly journal: readonly { readonly id: string; readonly count: number }[];
}

/** Assembles a {@link LedgerAudit}. */
export function assembleAudit(figures: AuditFigures): LedgerAudit {
  const by = (status: string): { count: number; amount: number } => {
    const row = figures.withdrawals.find((w) => w.status === status);
    return { count: row?.count ?? 0, amount: row?.amount ?? 0 };
  };
  const held = by('held');
  const dispensed = by('dispensed');
  const applied = new Map(figures.journal.map((row) => [row.id, row.count]));
  let journalEntries = 0;
  for (const count of applied.values()) journalEntries += count;
  return {
    initialTotal: figures.initialTotal,
    deposited: figures.deposited,
    balances: figures.balances,
    held: held.amount,
    dispensed: dispensed.amount,
    balanced: figures.initialTotal + figures.deposited === figures.balances + held.amount + dispensed.amount,
    negativeAccounts: figures.negativeAccounts,
    accounts: figures.accounts,
    journalEntries,
    applied,
    withdrawals: { held: held.count, dispensed: dispensed.count, reversed: by('reversed').count },
  };
}
