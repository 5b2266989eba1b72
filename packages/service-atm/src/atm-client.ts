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
 * Authority: every login opens a new channel (a new request-log client id, whose first request
 * the login is) and runs a key exchange with the bank; on approval the session key is unwrapped
 * and the channel MACs every later envelope with it. The session, and every withdrawal it
 * authorizes, belong to that channel: confirmations and reversals go out on it, naming the
 * session. The PIN is turned into a PIN block here and is not kept.
 */
import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { AtmError } from './errors.js';
import { createKeyExchange, unwrapSessionKey } from './key-exchange.js';
import { type AtmReply, type AtmRequest, atmReplySchema } from './messages.js';
import { createPinBlock } from './pin.js';

/**
 * One exactly-once channel to the bank: a request-log client with its own client id, used for
 * one login attempt and, if approved, that session (see `createAtmChannels`).
 */
export interface AtmChannel {
  /**
   * Runs one operation at the bank exactly once and resolves with its reply value; rejects when
   * no definite answer came (e.g. `ERR_OUTCOME_UNKNOWN` from `@netlab/request-log`).
   */
  call(request: AtmRequest): Promise<unknown>;
  /** From now on every envelope of this channel carries its MAC under `key` (the session key). */
  authenticate(key: Uint8Array): void;
  /** The channel is done with (its client id is never used again). */
  close(): void;
}

export interface AtmClientOptions {
  /** Opens a new channel (a new client id); called once per login attempt. Required. */
  readonly connect: () => AtmChannel;
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

interface OpenSession {
  readonly channel: AtmChannel;
  readonly token: string;
}

/** Creates an ATM client over `connect`. */
export function createAtmClient(options: AtmClientOptions): AtmClient {
  const idPrefix = randomBytes(8).toString('hex');
  let idCounter = 0;
  const newWithdrawalId = options.newWithdrawalId ?? ((): string => `w-${Date.now().toString(36)}${idPrefix}${(idCounter++).toString(36)}`);
  let current: OpenSession | undefined;
  let holder: string | undefined;

  const send = async (channel: AtmChannel, request: AtmRequest): Promise<AtmReply> => toReply(await channel.call(request));
  const end = (): void => {
    current?.channel.close();
    current = undefined;
  };
  const needSession = (): OpenSession => {
    if (current === undefined) throw new AtmError('ERR_NOT_LOGGED_IN');
    return current;
  };
  const keep = (reply: AtmReply): AtmReply => {
    if (reply.code === 'UNKNOWN_SESSION' || reply.code === 'SESSION_EXPIRED' || reply.code === 'PIN_TRIES_EXCEEDED') end();
    return reply;
  };

  return {
    get session() {
      return current?.token;
    },
    get holder() {
      return holder;
    },
    async login(card, pin) {
      const pinBlock = createPinBlock(card, pin);
      const exchange = createKeyExchange();
      const channel = options.connect();
      let reply: AtmReply;
      try {
        reply = await send(channel, { op: 'login', card, pinBlock, dh: exchange.publicValue });
        if (reply.code !== 'APPROVED') {
          channel.close();
          return reply;
        }
        if (reply.session === undefined || reply.dh === undefined || reply.wrappedKey === undefined) {
          throw new AtmError('ERR_INVALID_REPLY', 'an approved login must carry session, dh and wrappedKey');
        }
        channel.authenticate(unwrapSessionKey(exchange.complete(reply.dh), reply.session, reply.wrappedKey));
      } catch (error) {
        channel.close();
        throw error;
      }
      end();
      current = { channel, token: reply.session };
      holder = reply.holder;
      return reply;
    },
    async balance() {
      const { channel, token } = needSession();
      return keep(await send(channel, { op: 'balance', session: token }));
    },
    async deposit(amount) {
      const { channel, token } = needSession();
      return keep(await send(channel, { op: 'deposit', session: token, amount }));
    },
    async withdraw(amount, dispense = () => true) {
      // Authorization, confirmation and reversal all go out on this session's channel, even if
      // the session ends meanwhile: only the authorizing session may settle a withdrawal.
      const { channel, token } = needSession();
      const withdrawal = newWithdrawalId();
      let authorization: AtmReply;
      try {
        authorization = keep(await send(channel, { op: 'withdraw', session: token, withdrawal, amount }));
      } catch (authorizationError) {
        // No definite answer: never dispense; make sure the hold (if any) is released.
        try {
          const reversal = await send(channel, { op: 'reverse', session: token, withdrawal });
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
        const reversal = await send(channel, { op: 'reverse', session: token, withdrawal }).catch((error: unknown) => {
          throw new AtmError('ERR_OUTCOME_UNKNOWN', `withdrawal ${withdrawal}: the cash was not dispensed and the reversal got no answer; the amount stays held`, { cause: error, details: { withdrawal } });
        });
        return { status: 'reversed', withdrawal, why: 'not-dispensed', reversal };
      }
      try {
        const confirmation = await send(channel, { op: 'confirm', session: token, withdrawal });
        return { status: 'dispensed', withdrawal, authorization, confirmation };
      } catch (error) {
        throw new AtmError('ERR_OUTCOME_UNKNOWN', `withdrawal ${withdrawal}: cash dispensed, but the confirmation got no answer (the amount stays held until it is confirmed)`, {
          cause: error,
          details: { withdrawal },
        });
      }
    },
    async logout() {
      if (current === undefined) return undefined;
      const { channel, token } = current;
      current = undefined;
      try {
        return await send(channel, { op: 'logout', session: token });
      } finally {
        channel.close();
      }
    },
  };
}
