/**
 * The ATM's side of the flows, transport-neutral: give it a `call` that runs one operation
 * exactly once at the bank (a `@netlab/request-log` client's `call`, carried over TCP or UDP)
 * and it logs in, asks for the balance, deposits, and withdraws the way ISO 8583 terminals do:
 *
 *   authorize (funds held) → dispense the cash → confirm   (or reverse, if nothing came out)
 *
 * If the authorization gets no definite answer, the ATM never dispenses: it sends a reversal
 * for the same withdrawal id, which the bank acknowledges whether or not it saw the original
 * (and which makes a late original fail). Only when that reversal also gets no answer, or when a
 * confirmation of dispensed cash gets none, is the outcome unknown (`ERR_OUTCOME_UNKNOWN`).
 *
 * The PIN is turned into a PIN block here and is not kept.
 */
import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { AtmError } from './errors.js';
import { type AtmReply, type AtmRequest, atmReplySchema } from './messages.js';
import { createPinBlock } from './pin.js';

export interface AtmClientOptions {
  /**
   * Runs one operation at the bank exactly once and resolves with its reply value; rejects when
   * no definite answer came (e.g. `ERR_OUTCOME_UNKNOWN` from `@netlab/request-log`). Required.
   */
  readonly call: (request: AtmRequest) => Promise<unknown>;
  /**
   * Makes a fresh withdrawal id. Default: `w-`, the time in ms (base 36), 16 random hex digits
   * drawn once per client and a per-client counter (base 36): unique like a random id, but
   * time-ordered, so the bank's withdrawals table grows at one end instead of touching a random
   * page per withdrawal (fewer dirty pages per group commit).
   */
  readonly newWithdrawalId?: () => string;
}

/** How a withdrawal ended. */
export type WithdrawalResult =
  /** Cash dispensed and confirmed; `authorization.balance` is the balance after it. */
  | { readonly status: 'dispensed'; readonly withdrawal: string; readonly authorization: AtmReply; readonly confirmation: AtmReply }
  /** Refused (insufficient funds, a limit, an expired session...): nothing happened. */
  | { readonly status: 'declined'; readonly withdrawal: string; readonly authorization: AtmReply }
  /**
   * Reversed: the cash did not come out (`not-dispensed`), or the authorization got no answer
   * (`no-reply`). Either way the account is as before.
   */
  | { readonly status: 'reversed'; readonly withdrawal: string; readonly why: 'not-dispensed' | 'no-reply'; readonly reversal: AtmReply };

export interface AtmClient {
  /** The open session's token, if logged in. */
  readonly session: string | undefined;
  readonly holder: string | undefined;
  /** Verifies card + PIN; on approval the session is kept for the other calls. */
  login(card: string, pin: string): Promise<AtmReply>;
  balance(): Promise<AtmReply>;
  deposit(amount: number): Promise<AtmReply>;
  /** Authorizes, dispenses (`dispense` returns false if the cash did not come out), then confirms or reverses. */
  withdraw(amount: number, dispense?: (amount: number) => boolean | Promise<boolean>): Promise<WithdrawalResult>;
  /** Ends the session (no call when not logged in). */
  logout(): Promise<AtmReply | undefined>;
}

function toReply(value: unknown): AtmReply {
  const result = v.safeParse(atmReplySchema, value);
  if (!result.success) throw new AtmError('ERR_INVALID_REPLY', `invalid reply from the bank: ${result.issues[0].message}`.slice(0, 200));
  return result.output;
}

/** Creates an ATM client over `call`. */
export function createAtmClient(options: AtmClientOptions): AtmClient {
  const idPrefix = randomBytes(8).toString('hex');
  let idCounter = 0;
  const newWithdrawalId = options.newWithdrawalId ?? ((): string => `w-${Date.now().toString(36)}${idPrefix}${(idCounter++).toString(36)}`);
  let session: string | undefined;
  let holder: string | undefined;

  const send = async (request: AtmRequest): Promise<AtmReply> => toReply(await options.call(request));
  const needSession = (): string => {
    if (session === undefined) throw new AtmError('ERR_NOT_LOGGED_IN');
    return session;
  };
  const keep = (reply: AtmReply): AtmReply => {
    if (reply.code === 'UNKNOWN_SESSION' || reply.code === 'SESSION_EXPIRED' || reply.code === 'PIN_TRIES_EXCEEDED') session = undefined;
    return reply;
  };

  return {
    get session() {
      return session;
    },
    get holder() {
      return holder;
    },
    async login(card, pin) {
      const reply = await send({ op: 'login', card, pinBlock: createPinBlock(card, pin) });
      if (reply.code === 'APPROVED') {
        session = reply.session;
        holder = reply.holder;
      }
      return reply;
    },
    async balance() {
      return keep(await send({ op: 'balance', session: needSession() }));
    },
    async deposit(amount) {
      return keep(await send({ op: 'deposit', session: needSession(), amount }));
    },
    async withdraw(amount, dispense = () => true) {
      const token = needSession();
      const withdrawal = newWithdrawalId();
      let authorization: AtmReply;
      try {
        authorization = keep(await send({ op: 'withdraw', session: token, withdrawal, amount }));
      } catch (authorizationError) {
        // No definite answer: never dispense; make sure the hold (if any) is released.
        try {
          const reversal = await send({ op: 'reverse', withdrawal });
          return { status: 'reversed', withdrawal, why: 'no-reply', reversal };
        } catch (reversalError) {
          throw new AtmError('ERR_OUTCOME_UNKNOWN', `withdrawal ${withdrawal}: no answer to the authorization or to its reversal; no cash was dispensed`, {
            cause: reversalError,
            details: { withdrawal, authorizationError: authorizationError instanceof Error ? authorizationError.message : String(authorizationError) },
          });
        }
      }
      if (authorization.code !== 'APPROVED') return { status: 'declined', withdrawal, authorization };
      if (!(await dispense(amount))) {
        const reversal = await send({ op: 'reverse', withdrawal }).catch((error: unknown) => {
          throw new AtmError('ERR_OUTCOME_UNKNOWN', `withdrawal ${withdrawal}: the cash was not dispensed and the reversal got no answer; the amount stays held`, { cause: error, details: { withdrawal } });
        });
        return { status: 'reversed', withdrawal, why: 'not-dispensed', reversal };
      }
      try {
        const confirmation = await send({ op: 'confirm', withdrawal });
        return { status: 'dispensed', withdrawal, authorization, confirmation };
      } catch (error) {
        throw new AtmError('ERR_OUTCOME_UNKNOWN', `withdrawal ${withdrawal}: cash dispensed, but the confirmation got no answer (the amount stays held until it is confirmed)`, {
          cause: error,
          details: { withdrawal },
        });
      }
    },
    async logout() {
      if (session === undefined) return undefined;
      const token = session;
      session = undefined;
      return send({ op: 'logout', session: token });
    },
  };
}
