/**
 * The bank's rules, sans I/O: one pure function decides what an operation does given the rows it
 * touches, and returns the reply, the row changes and the journal entry. Every store (memory,
 * SQLite, PostgreSQL) loads the rows inside the request log's transaction (locking them where the
 * database needs it), calls {@link decideOperation}, and writes the changes and the journal entry
 * in that same transaction, so a ledger change and its completion record commit together or not
 * at all. Keeping the rules in one function is what lets the three stores agree.
 *
 * Money: an account's `balance` is its *available* balance; an authorized withdrawal moves the
 * amount from the balance into a `held` withdrawal; confirmation marks it `dispensed` (the cash
 * left the machine); reversal gives it back and marks it `reversed`. So at every commit:
 * `initial total + Σ approved deposits = Σ balances + Σ held + Σ dispensed`.
 *
 * Withdrawal ids are chosen by the ATM and are global: a reversal for an id the bank has never
 * seen is recorded (as a reversed withdrawal of nothing) and acknowledged, so an original that
 * arrives late is declined instead of taking money the ATM never dispensed.
 *
 * Authority (the envelope's MAC was checked before the request log, see `atm-service.ts`): a
 * session is used only by the terminal (request-log client id) that opened it; a withdrawal is
 * confirmed or reversed only by the session that authorized it (`NOT_PERMITTED` otherwise, and
 * nothing changes), even after that session has ended, so an ATM can always settle what it did.
 *
 * The journal gets one entry per operation that reached an account or a session; a login that
 * changed nothing (an unknown card, a card already locked) gets none, so requests that touch no
 * account cannot grow it.
 */
import { MAX_AMOUNT_MINOR, formatAmount, isValidMinorAmount } from './amount.js';
import { AtmError } from './errors.js';
import type { AtmOperation, AtmReply, AtmRequest } from './messages.js';
import { MAX_PIN_TRIES } from './pin.js';
import { RESPONSE_CODES, type ResponseCode } from './response-codes.js';

/** Default idle time before a session expires: 5 minutes. */
export const DEFAULT_SESSION_IDLE_MS = 5 * 60 * 1000;
/** Default largest single withdrawal: 20,000.00. */
export const DEFAULT_WITHDRAWAL_LIMIT = 2_000_000;
/** Default largest single deposit: 50,000.00. */
export const DEFAULT_DEPOSIT_LIMIT = 5_000_000;
/** Default largest balance an account may reach: 1,000,000,000.00. */
export const DEFAULT_MAX_BALANCE = 100_000_000_000;

/** The bank's limits, all in minor units except `sessionIdleMs`. */
export interface LedgerLimits {
  readonly sessionIdleMs: number;
  readonly withdrawalLimit: number;
  readonly depositLimit: number;
  readonly maxBalance: number;
}

/** The default limits. */
export const DEFAULT_LEDGER_LIMITS: LedgerLimits = {
  sessionIdleMs: DEFAULT_SESSION_IDLE_MS,
  withdrawalLimit: DEFAULT_WITHDRAWAL_LIMIT,
  depositLimit: DEFAULT_DEPOSIT_LIMIT,
  maxBalance: DEFAULT_MAX_BALANCE,
};

export interface AccountRow {
  readonly card: string;
  readonly holder: string;
  /** `kscrypt$…` (see `pin.ts`). */
  readonly pinHash: string;
  /** Available balance, minor units, never negative. */
  readonly balance: number;
  /** Wrong PINs in a row; the card is locked at {@link MAX_PIN_TRIES}. */
  readonly pinTries: number;
}

export interface SessionRow {
  readonly token: string;
  readonly card: string;
  /** The request-log client id that opened it (null in stores written before sessions were bound). */
  readonly terminal: string | null;
  readonly expiresAt: number;
}

export type WithdrawalStatus = 'held' | 'dispensed' | 'reversed';

export interface WithdrawalRow {
  readonly id: string;
  /** The request-log client id of the ATM that authorized (or pre-emptively reversed) it. */
  readonly terminal: string;
  /** The session that authorized (or pre-emptively reversed) it; null in older stores. */
  readonly session: string | null;
  /** Null for a reversal of a withdrawal the bank never saw. */
  readonly card: string | null;
  readonly amount: number;
  readonly status: WithdrawalStatus;
}

/** One applied operation, as the append-only journal keeps it. */
export interface JournalEntry {
  readonly at: number;
  /** Request id: the request-log client id and sequence number. */
  readonly terminal: string;
  readonly seq: number;
  readonly op: AtmOperation | 'invalid';
  readonly card: string | null;
  readonly amount: number | null;
  readonly withdrawal: string | null;
  readonly code: ResponseCode;
  /** Available balance after the operation, when an account was involved. */
  readonly balance: number | null;
}

/** The rows an operation reads, loaded by the store (see {@link rowsNeeded}). */
export interface LoadedRows {
  readonly account?: AccountRow | undefined;
  readonly session?: SessionRow | undefined;
  readonly withdrawal?: WithdrawalRow | undefined;
}

/** What the store must write, besides the journal entry. */
export interface LedgerChanges {
  readonly account?: { readonly card: string; readonly balance: number; readonly pinTries: number };
  readonly putSession?: SessionRow;
  readonly deleteSession?: string;
  /** Delete this card's sessions that expired before `now` (keeps the table bounded). */
  readonly purgeExpiredSessionsOf?: { readonly card: string; readonly now: number };
  readonly putWithdrawal?: WithdrawalRow;
}

/** The session a login opens if approved, made by the store before deciding (see `prepare.ts`). */
export interface NewSession {
  readonly token: string;
  /** The bank's key exchange value for the reply. */
  readonly dh: string;
  /** The session's MAC key wrapped for the reply. */
  readonly wrappedKey: string;
}

export interface OperationContext {
  /** The request id. */
  readonly terminal: string;
  readonly seq: number;
  /** The server's clock when the request was accepted (ms). */
  readonly now: number;
  readonly limits: LedgerLimits;
  /** For `login`: whether the PIN block matched the stored hash (checked in constant time by the store). */
  readonly pinMatches?: boolean;
  /** For `login`: the session to open on approval. */
  readonly newSession?: NewSession;
}

export interface OperationOutcome {
  readonly reply: AtmReply;
  readonly changes: LedgerChanges;
  /** The journal entry to append; undefined for a login that changed nothing. */
  readonly journal: JournalEntry | undefined;
}

/**
 * Which rows an operation reads, so every store loads the same ones: `account` by card (login),
 * `session` by token then `account` by the session's card, `withdrawal` by id then `account` by
 * the withdrawal's card (reversal).
 */
export function rowsNeeded(request: AtmRequest): { readonly session?: string; readonly card?: string; readonly withdrawal?: string } {
  switch (request.op) {
    case 'login':
      return { card: request.card };
    case 'balance':
    case 'deposit':
    case 'logout':
      return { session: request.session };
    case 'withdraw':
      return { session: request.session, withdrawal: request.withdrawal };
    case 'confirm':
    case 'reverse':
      return { withdrawal: request.withdrawal };
  }
}

function reply(code: ResponseCode, fields: Omit<AtmReply, 'code' | 'message'> = {}, message: string = RESPONSE_CODES[code].message): AtmReply {
  return { code, message, ...fields };
}

/** What the journal records besides the request id, the op and the reply's code. */
interface JournalFields {
  readonly card: string | null;
  readonly amount?: number | null;
  readonly withdrawal?: string | null;
  readonly balance?: number | null;
}

/** The one way an outcome is built: the reply, the changes, and the journal entry naming both. */
function outcome(request: AtmRequest, context: OperationContext, answer: AtmReply, changes: LedgerChanges, fields: JournalFields | undefined): OperationOutcome {
  const journal: JournalEntry | undefined =
    fields === undefined
      ? undefined
      : {
          at: context.now,
          terminal: context.terminal,
          seq: context.seq,
          op: request.op,
          card: fields.card,
          amount: fields.amount ?? null,
          withdrawal: fields.withdrawal ?? null,
          code: answer.code,
          balance: fields.balance ?? null,
        };
  return { reply: answer, changes, journal };
}

function corrupt(message: string): AtmError {
  return new AtmError('ERR_CORRUPT_LEDGER', message);
}

function amountProblem(amount: number, limit: number, limitName: string): AtmReply | undefined {
  if (!isValidMinorAmount(amount)) {
    const why = !Number.isSafeInteger(amount) ? 'not a whole number of cents' : amount <= 0 ? 'must be more than zero' : `larger than ${formatAmount(MAX_AMOUNT_MINOR)}`;
    return reply('INVALID_AMOUNT', {}, `invalid amount: ${why}`);
  }
  if (amount > limit) return reply('LIMIT_EXCEEDED', { amount }, `amount exceeds the ${limitName} limit of ${formatAmount(limit)}`);
  return undefined;
}

type LoginRequest = Extract<AtmRequest, { readonly op: 'login' }>;
type SessionRequest = Extract<AtmRequest, { readonly op: 'balance' | 'deposit' | 'withdraw' | 'logout' }>;
type SettlementRequest = Extract<AtmRequest, { readonly op: 'confirm' | 'reverse' }>;

function decideLogin(request: LoginRequest, rows: LoadedRows, context: OperationContext): OperationOutcome {
  const account = rows.account;
  // Nothing to change and nothing journaled: an unknown or locked card cannot grow the journal.
  if (account === undefined) return outcome(request, context, reply('UNKNOWN_CARD'), {}, undefined);
  if (account.pinTries >= MAX_PIN_TRIES) return outcome(request, context, reply('PIN_TRIES_EXCEEDED'), {}, undefined);
  const journal = { card: account.card, balance: null };
  if (context.pinMatches !== true) {
    const pinTries = account.pinTries + 1;
    const changes = { account: { card: account.card, balance: account.balance, pinTries } };
    const answer = pinTries >= MAX_PIN_TRIES ? reply('PIN_TRIES_EXCEEDED') : reply('INCORRECT_PIN', { triesLeft: MAX_PIN_TRIES - pinTries });
    return outcome(request, context, answer, changes, journal);
  }
  const session = context.newSession;
  if (session === undefined) throw corrupt('a login needs the session the store prepared for it');
  const expiresAt = context.now + context.limits.sessionIdleMs;
  const changes: LedgerChanges = {
    ...(account.pinTries === 0 ? {} : { account: { card: account.card, balance: account.balance, pinTries: 0 } }),
    purgeExpiredSessionsOf: { card: account.card, now: context.now },
    putSession: { token: session.token, card: account.card, terminal: context.terminal, expiresAt },
  };
  const answer = reply('APPROVED', { session: session.token, holder: account.holder, expiresAt, dh: session.dh, wrappedKey: session.wrappedKey });
  return outcome(request, context, answer, changes, journal);
}

function decideSessionOperation(request: SessionRequest, rows: LoadedRows, context: OperationContext): OperationOutcome {
  const { now, limits } = context;
  const session = rows.session;
  // A session another terminal opened does not exist for this one (the token's MAC check already
  // refuses that; this is the same rule, stated where the rules live).
  if (session === undefined || (session.terminal !== null && session.terminal !== context.terminal)) {
    return outcome(request, context, reply('UNKNOWN_SESSION'), {}, { card: null });
  }
  const card = session.card;
  if (session.expiresAt <= now) return outcome(request, context, reply('SESSION_EXPIRED'), { deleteSession: session.token }, { card });
  const account = rows.account;
  if (account === undefined) throw corrupt(`session of card ${card} names an account that does not exist`);
  if (account.pinTries >= MAX_PIN_TRIES) return outcome(request, context, reply('PIN_TRIES_EXCEEDED'), { deleteSession: session.token }, { card });
  if (request.op === 'logout') return outcome(request, context, reply('APPROVED'), { deleteSession: session.token }, { card });
  // Any other use keeps the session alive.
  const expiresAt = now + limits.sessionIdleMs;
  const keepAlive: LedgerChanges = { putSession: { ...session, expiresAt } };
  if (request.op === 'balance') {
    return outcome(request, context, reply('APPROVED', { balance: account.balance, expiresAt }), keepAlive, { card, balance: account.balance });
  }
  const amount = Number.isSafeInteger(request.amount) ? request.amount : null;
  const unchanged = { card, amount, balance: account.balance };
  if (request.op === 'deposit') {
    const problem = amountProblem(request.amount, limits.depositLimit, 'deposit');
    if (problem !== undefined) return outcome(request, context, problem, keepAlive, unchanged);
    if (account.balance + request.amount > limits.maxBalance) {
      const answer = reply('LIMIT_EXCEEDED', { amount: request.amount, balance: account.balance }, `the balance would exceed the account limit of ${formatAmount(limits.maxBalance)}`);
      return outcome(request, context, answer, keepAlive, unchanged);
    }
    const balance = account.balance + request.amount;
    const changes = { ...keepAlive, account: { card, balance, pinTries: account.pinTries } };
    return outcome(request, context, reply('APPROVED', { amount: request.amount, balance, expiresAt }), changes, { card, amount, balance });
  }
  const withdrawal = request.withdrawal;
  const declined = { ...unchanged, withdrawal };
  const problem = amountProblem(request.amount, limits.withdrawalLimit, 'withdrawal');
  if (problem !== undefined) return outcome(request, context, problem, keepAlive, declined);
  const existing = rows.withdrawal;
  if (existing !== undefined) {
    const answer = existing.status === 'reversed' ? reply('WITHDRAWAL_REVERSED', { withdrawal }) : reply('DUPLICATE_TRANSACTION', { withdrawal });
    return outcome(request, context, answer, keepAlive, declined);
  }
  if (request.amount > account.balance) {
    return outcome(request, context, reply('INSUFFICIENT_FUNDS', { amount: request.amount, balance: account.balance }), keepAlive, declined);
  }
  const balance = account.balance - request.amount;
  const changes: LedgerChanges = {
    ...keepAlive,
    account: { card, balance, pinTries: account.pinTries },
    putWithdrawal: { id: withdrawal, terminal: context.terminal, session: session.token, card, amount: request.amount, status: 'held' },
  };
  return outcome(request, context, reply('APPROVED', { withdrawal, amount: request.amount, balance, expiresAt }), changes, { card, amount, withdrawal, balance });
}

function decideSettlement(request: SettlementRequest, rows: LoadedRows, context: OperationContext): OperationOutcome {
  const id = request.withdrawal;
  const held = rows.withdrawal;
  if (held === undefined) {
    if (request.op === 'confirm') return outcome(request, context, reply('UNKNOWN_WITHDRAWAL'), {}, { card: null, withdrawal: id });
    const tombstone: WithdrawalRow = { id, terminal: context.terminal, session: request.session, card: null, amount: 0, status: 'reversed' };
    const answer = reply('APPROVED', { withdrawal: id, amount: 0 }, 'approved: no such withdrawal; recorded as reversed so a late original is declined');
    return outcome(request, context, answer, { putWithdrawal: tombstone }, { card: null, amount: 0, withdrawal: id });
  }
  // Only the session that authorized it may settle it; nobody else learns even its status.
  if (held.session !== request.session) return outcome(request, context, reply('NOT_PERMITTED', { withdrawal: id }), {}, { card: null, withdrawal: id });
  const fields = { card: held.card, amount: held.amount, withdrawal: id };
  if (request.op === 'confirm') {
    if (held.status === 'reversed') return outcome(request, context, reply('WITHDRAWAL_REVERSED', { withdrawal: id }), {}, fields);
    const changes: LedgerChanges = held.status === 'held' ? { putWithdrawal: { ...held, status: 'dispensed' } } : {};
    return outcome(request, context, reply('APPROVED', { withdrawal: id, amount: held.amount }), changes, fields);
  }
  if (held.status === 'dispensed') return outcome(request, context, reply('WITHDRAWAL_COMPLETED', { withdrawal: id }), {}, fields);
  if (held.status === 'reversed') return outcome(request, context, reply('APPROVED', { withdrawal: id, amount: held.amount }, 'approved: already reversed'), {}, fields);
  const account = rows.account;
  if (account === undefined) throw corrupt(`withdrawal ${id} names an account that does not exist`);
  const balance = account.balance + held.amount;
  const changes: LedgerChanges = { account: { card: account.card, balance, pinTries: account.pinTries }, putWithdrawal: { ...held, status: 'reversed' } };
  return outcome(request, context, reply('APPROVED', { withdrawal: id, amount: held.amount, balance }), changes, { ...fields, balance });
}

/**
 * Decides one operation (see the module comment). Pure. Throws `ERR_CORRUPT_LEDGER` for rows
 * that cannot exist (the effect then fails and is rolled back).
 */
export function decideOperation(request: AtmRequest, rows: LoadedRows, context: OperationContext): OperationOutcome {
  switch (request.op) {
    case 'login':
      return decideLogin(request, rows, context);
    case 'confirm':
    case 'reverse':
      return decideSettlement(request, rows, context);
    case 'balance':
    case 'deposit':
    case 'withdraw':
    case 'logout':
      return decideSessionOperation(request, rows, context);
  }
}
