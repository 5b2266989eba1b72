/**
 * Load → decide → write → journal, inside the caller's transaction, in a synchronous form
 * (memory, SQLite: the transaction cannot span an await) and an asynchronous one (PostgreSQL).
 * The load plan is written once, as a generator of row queries that both drivers answer, so the
 * two cannot drift: the withdrawal id is locked first, then the withdrawal, the session and the
 * account are read, in that order, for every operation (a lock order that cannot deadlock).
 */
import type { EffectContext } from '@netlab/request-log';
import type { BankKey } from './bank-key.js';
import {
  type AccountRow,
  type JournalEntry,
  type LedgerChanges,
  type LedgerLimits,
  type LoadedRows,
  type SessionRow,
  type WithdrawalRow,
  decideOperation,
  rowsNeeded,
} from './ledger-core.js';
import type { AtmReply, AtmRequest } from './messages.js';
import { pinHashMatches } from './pin.js';
import { type PreparedRequest, newSessionFor } from './prepare.js';

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

/** One step of the load plan. */
type RowQuery =
  | { readonly kind: 'lock'; readonly withdrawal: string }
  | { readonly kind: 'withdrawal'; readonly id: string }
  | { readonly kind: 'session'; readonly token: string }
  | { readonly kind: 'account'; readonly card: string };

/** What a driver answers: the row a query names (undefined for `lock` and for a missing row). */
type RowAnswer = AccountRow | SessionRow | WithdrawalRow | undefined;

// Each yield is answered with the row its query names, so the casts restate the drivers' contract.
function* loadPlan(request: AtmRequest): Generator<RowQuery, LoadedRows, RowAnswer> {
  const needs = rowsNeeded(request);
  let withdrawal: WithdrawalRow | undefined;
  if (needs.withdrawal !== undefined) {
    yield { kind: 'lock', withdrawal: needs.withdrawal };
    withdrawal = (yield { kind: 'withdrawal', id: needs.withdrawal }) as WithdrawalRow | undefined;
  }
  const session = needs.session === undefined ? undefined : ((yield { kind: 'session', token: needs.session }) as SessionRow | undefined);
  const card = needs.card ?? session?.card ?? (request.op === 'reverse' ? (withdrawal?.card ?? undefined) : undefined);
  const account = card === undefined ? undefined : ((yield { kind: 'account', card }) as AccountRow | undefined);
  return { withdrawal, session, account };
}

function answerSync(io: SyncLedgerIo, query: RowQuery): RowAnswer {
  switch (query.kind) {
    case 'lock':
      return undefined; // a single writer (memory, SQLite) needs no lock
    case 'withdrawal':
      return io.withdrawal(query.id);
    case 'session':
      return io.session(query.token);
    case 'account':
      return io.account(query.card);
  }
}

async function answerAsync(io: AsyncLedgerIo, query: RowQuery): Promise<RowAnswer> {
  switch (query.kind) {
    case 'lock':
      await io.lockWithdrawal(query.withdrawal);
      return undefined;
    case 'withdrawal':
      return io.withdrawal(query.id);
    case 'session':
      return io.session(query.token);
    case 'account':
      return io.account(query.card);
  }
}

/** The settings every run needs besides the rows. */
export interface RunSettings {
  readonly limits: LedgerLimits;
  readonly key: BankKey;
}

function decide(prepared: PreparedRequest, rows: LoadedRows, context: EffectContext, settings: RunSettings): ReturnType<typeof decideOperation> {
  const request = prepared.request;
  const login = request.op === 'login';
  const account = rows.account;
  const pinMatches = login && account !== undefined && prepared.pinCandidate !== undefined && pinHashMatches(prepared.pinCandidate, account.pinHash);
  const newSession = pinMatches ? newSessionFor(prepared, context, settings.key) : undefined;
  return decideOperation(request, rows, {
    terminal: context.clientId,
    seq: context.seq,
    // The bank keeps whole milliseconds (timestamps in replies and rows are integers): a clock
    // with sub-millisecond readings (a simulation's virtual time) is floored here, once.
    now: Math.floor(context.now),
    limits: settings.limits,
    ...(login ? { pinMatches } : {}),
    ...(newSession === undefined ? {} : { newSession }),
  });
}

/** Load, decide, write, journal: synchronously, inside the caller's transaction. */
export function runOperationSync(prepared: PreparedRequest, context: EffectContext, settings: RunSettings, io: SyncLedgerIo): AtmReply {
  const plan = loadPlan(prepared.request);
  let step = plan.next();
  while (step.done !== true) step = plan.next(answerSync(io, step.value));
  const outcome = decide(prepared, step.value, context, settings);
  io.write(outcome.changes);
  if (outcome.journal !== undefined) io.append(outcome.journal);
  return outcome.reply;
}

/** Load (locking), decide, write, journal: asynchronously, inside the caller's transaction. */
export async function runOperationAsync(prepared: PreparedRequest, context: EffectContext, settings: RunSettings, io: AsyncLedgerIo): Promise<AtmReply> {
  const plan = loadPlan(prepared.request);
  let step = plan.next();
  while (step.done !== true) step = plan.next(await answerAsync(io, step.value));
  const outcome = decide(prepared, step.value, context, settings);
  await io.write(outcome.changes);
  if (outcome.journal !== undefined) await io.append(outcome.journal);
  return outcome.reply;
}
