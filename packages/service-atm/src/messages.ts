/**
 * The ATM's messages: JSON objects carried as the `payload` of `@netlab/request-log` request
 * envelopes (and as the value of their replies), validated with valibot on both sides.
 *
 * Requests (`op` names the ISO 8583 flow it models):
 *
 * | op | fields | models |
 * |---|---|---|
 * | `login` | `card`, `pinBlock`, `dh` | 0100 card + PIN verification; opens a session |
 * | `balance` | `session` | 0100 balance inquiry |
 * | `deposit` | `session`, `amount` | 0200 deposit |
 * | `withdraw` | `session`, `withdrawal`, `amount` | 0100 authorization: funds are held |
 * | `confirm` | `session`, `withdrawal` | 0220 completion: the cash was dispensed |
 * | `reverse` | `session`, `withdrawal` | 0420 reversal: the cash was not dispensed |
 * | `logout` | `session` | ends the session |
 *
 * `amount` is an integer in minor units (`50000` = 500.00). `withdrawal` is an id the ATM
 * chooses (1 to 64 characters of `[A-Za-z0-9._:-]`, unique per withdrawal, like a STAN);
 * confirmation and reversal name it and must come from the session that authorized it. A PIN
 * never appears: `pinBlock` is 64 hex characters (see `pin.ts`); `dh` is the ATM's key exchange
 * value, 512 hex (see `key-exchange.ts`); `session` a token of 64 hex.
 *
 * Authority: a login must be the first request of its envelope's client id (seq 1, ack 0); every
 * other request names its session and its envelope carries a MAC under that session's key (see
 * `atm-service.ts`). The approved login reply carries `session`, the bank's `dh` value and the
 * `wrappedKey`.
 *
 * Reply: `{"code":"APPROVED","message":"approved","balance":100000}`, with `code` from the
 * response code table and optional `session`, `holder`, `expiresAt`, `balance`, `amount`,
 * `withdrawal`, `triesLeft`, `dh`, `wrappedKey`. Every message fits a UDP datagram with its
 * envelope (a login, the largest, is about 750 bytes).
 */
import * as v from 'valibot';
import { KEY_EXCHANGE_PUBLIC_PATTERN } from './key-exchange.js';
import { CARD_PATTERN, PIN_BLOCK_PATTERN } from './pin.js';
import { RESPONSE_CODE_NAMES, type ResponseCode } from './response-codes.js';
import { SESSION_TOKEN_LENGTH, SESSION_TOKEN_PATTERN } from './session-credentials.js';

/** Longest withdrawal id. */
export const MAX_WITHDRAWAL_ID_LENGTH = 64;
/** Length of a session token (64 hex characters). */
export const MAX_SESSION_TOKEN_LENGTH = SESSION_TOKEN_LENGTH;
/** Longest holder name in a reply. */
export const MAX_HOLDER_LENGTH = 100;

/** Withdrawal ids: 1 to {@link MAX_WITHDRAWAL_ID_LENGTH} of `[A-Za-z0-9._:-]`. */
export const WITHDRAWAL_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

const card = v.pipe(v.string(), v.regex(CARD_PATTERN, 'a card number is 6 to 19 digits'));
const pinBlock = v.pipe(v.string(), v.regex(PIN_BLOCK_PATTERN, 'a PIN block is 64 hex characters'));
const dh = v.pipe(v.string(), v.regex(KEY_EXCHANGE_PUBLIC_PATTERN, 'a key exchange value is 512 hex characters'));
const session = v.pipe(v.string(), v.regex(SESSION_TOKEN_PATTERN, 'a session token is 64 hex characters'));
const withdrawal = v.pipe(v.string(), v.regex(WITHDRAWAL_ID_PATTERN, 'a withdrawal id is 1 to 64 of A-Z a-z 0-9 . _ : -'));
// Any finite number passes the schema: the ledger answers INVALID_AMOUNT (a response code, part
// of the protocol) rather than INVALID_REQUEST for zero, negative, fractional or huge amounts.
const amount = v.pipe(v.number(), v.finite());

export type AtmRequest =
  | { readonly op: 'login'; readonly card: string; readonly pinBlock: string; readonly dh: string }
  | { readonly op: 'balance'; readonly session: string }
  | { readonly op: 'deposit'; readonly session: string; readonly amount: number }
  | { readonly op: 'withdraw'; readonly session: string; readonly withdrawal: string; readonly amount: number }
  | { readonly op: 'confirm'; readonly session: string; readonly withdrawal: string }
  | { readonly op: 'reverse'; readonly session: string; readonly withdrawal: string }
  | { readonly op: 'logout'; readonly session: string };

export type AtmOperation = AtmRequest['op'];

/** Every operation name. */
export const ATM_OPERATIONS: readonly AtmOperation[] = ['login', 'balance', 'deposit', 'withdraw', 'confirm', 'reverse', 'logout'];

/** Schema of a request payload. */
export const atmRequestSchema: v.GenericSchema<unknown, AtmRequest> = v.variant('op', [
  v.strictObject({ op: v.literal('login'), card, pinBlock, dh }),
  v.strictObject({ op: v.literal('balance'), session }),
  v.strictObject({ op: v.literal('deposit'), session, amount }),
  v.strictObject({ op: v.literal('withdraw'), session, withdrawal, amount }),
  v.strictObject({ op: v.literal('confirm'), session, withdrawal }),
  v.strictObject({ op: v.literal('reverse'), session, withdrawal }),
  v.strictObject({ op: v.literal('logout'), session }),
]);

/**
 * A reply value. A type alias rather than an interface, so that it is a JSON value as it stands
 * (an interface lacks the index signature `JsonValue` asks for, which forced three
 * `as unknown as JsonValue` casts in the ledgers).
 */
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- an interface would not be assignable to JsonValue (see above)
export type AtmReply = {
  readonly code: ResponseCode;
  readonly message: string;
  readonly session?: string;
  readonly holder?: string;
  /** When the session expires if left idle (ms since the epoch). */
  readonly expiresAt?: number;
  /** Available balance after the operation, minor units. */
  readonly balance?: number;
  readonly amount?: number;
  readonly withdrawal?: string;
  /** Wrong PINs still allowed before the card locks. */
  readonly triesLeft?: number;
  /** Approved login: the bank's key exchange value (512 hex). */
  readonly dh?: string;
  /** Approved login: the session MAC key, wrapped under the key exchange secret (64 hex). */
  readonly wrappedKey?: string;
};

const minor = v.pipe(v.number(), v.safeInteger());

/** Schema of a reply value. */
export const atmReplySchema: v.GenericSchema<unknown, AtmReply> = v.strictObject({
  code: v.picklist(RESPONSE_CODE_NAMES),
  message: v.pipe(v.string(), v.maxLength(200)),
  session: v.exactOptional(session),
  holder: v.exactOptional(v.pipe(v.string(), v.maxLength(MAX_HOLDER_LENGTH))),
  expiresAt: v.exactOptional(minor),
  balance: v.exactOptional(minor),
  amount: v.exactOptional(minor),
  withdrawal: v.exactOptional(withdrawal),
  triesLeft: v.exactOptional(v.pipe(minor, v.minValue(0))),
  dh: v.exactOptional(dh),
  wrappedKey: v.exactOptional(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))),
});

// The same patterns as the schema above: one definition each.
const isSession = (value: unknown): value is string => typeof value === 'string' && SESSION_TOKEN_PATTERN.test(value);
const isWithdrawal = (value: unknown): value is string => typeof value === 'string' && WITHDRAWAL_ID_PATTERN.test(value);
const isAmount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The hot path of {@link parseAtmRequest}: accepts a well-formed non-login request (exactly the
 * fields its op needs, each valid, as the schema says) without running the schema, which costs
 * several times more per request on the server. Anything else (logins, every invalid payload)
 * returns undefined and goes through the schema, which alone decides and words the refusal; so
 * this may only ever accept a subset of what the schema accepts (a test checks they agree).
 */
export function parseWellFormedRequest(payload: unknown): AtmRequest | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const fields = payload as Readonly<Record<string, unknown>>;
  if (!Object.hasOwn(fields, 'op')) return undefined;
  const size = Object.keys(fields).length;
  const own = (key: string): unknown => (Object.hasOwn(fields, key) ? fields[key] : undefined);
  switch (fields.op) {
    case 'withdraw': {
      const session = own('session');
      const withdrawal = own('withdrawal');
      const amount = own('amount');
      return size === 4 && isSession(session) && isWithdrawal(withdrawal) && isAmount(amount) ? { op: 'withdraw', session, withdrawal, amount } : undefined;
    }
    case 'confirm':
    case 'reverse': {
      const session = own('session');
      const withdrawal = own('withdrawal');
      return size === 3 && isSession(session) && isWithdrawal(withdrawal) ? { op: fields.op, session, withdrawal } : undefined;
    }
    case 'balance':
    case 'logout': {
      const session = own('session');
      return size === 2 && isSession(session) ? { op: fields.op, session } : undefined;
    }
    case 'deposit': {
      const session = own('session');
      const amount = own('amount');
      return size === 3 && isSession(session) && isAmount(amount) ? { op: 'deposit', session, amount } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Validates a request payload. The failure message names the field and what was expected, never
 * the value received: a confused client might have put a PIN anywhere.
 */
export function parseAtmRequest(payload: unknown): { readonly ok: true; readonly request: AtmRequest } | { readonly ok: false; readonly message: string } {
  const fast = parseWellFormedRequest(payload);
  if (fast !== undefined) return { ok: true, request: fast };
  const result = v.safeParse(atmRequestSchema, payload);
  if (result.success) return { ok: true, request: result.output };
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  const expected =
    issue.expected === 'never' ? 'unexpected field' : issue.received === 'undefined' ? 'missing field' : `invalid ${issue.type}, expected ${issue.expected ?? 'another value'}`;
  return { ok: false, message: `${path === '' ? 'payload' : path}: ${expected}`.slice(0, 150) };
}
