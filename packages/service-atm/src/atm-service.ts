/**
 * The bank as a `@netlab/service` service: each request envelope (TCP frame or UDP datagram) is
 * checked for authority, prepared outside any transaction, then handed to the request log, which
 * runs the ledger's effect at most once per request id, in the same transaction as its completion
 * record, and answers duplicates from that record. Exactly one reply envelope per request.
 *
 * Before the request log decides anything (so a refused envelope moves no watermark, reads no
 * record and writes nothing):
 * 1. the payload is validated; an invalid one is answered `INVALID_REQUEST` (a done reply, not
 *    recorded: it changes nothing, and the same payload always gets the same answer);
 * 2. a `login` must be the first request of its client id (`seq` 1, `ack` 0): a session is bound
 *    to the client id that opened it, so a terminal takes a fresh client id for every login, and
 *    a login can never touch an existing client's window (`ERR_INVALID_REQUEST` otherwise);
 * 3. any other request must name a session issued to the envelope's client id and carry the
 *    envelope's MAC under that session's key (`session-credentials.ts`,
 *    `@netlab/request-log`'s `envelope-mac.ts`): `ERR_UNAUTHENTICATED` otherwise;
 * 4. requests that prove no authority (1, 2, logins, 3 when it fails) draw from per-peer and
 *    shared token buckets (`rate-limiter.ts`): beyond them, `ERR_UNAVAILABLE` (retry later).
 *
 * A login reaches the log with its PIN block replaced by a keyed proof (`login-proof.ts`): the
 * record keeps no PIN material, and the effect gets the prepared PIN candidate instead.
 * Malformed frames carry no request id, so they get no reply (see `createRequestLogService`).
 */
import {
  type ErrorReply,
  type ReplyEnvelope,
  type ReplyErrorCode,
  type RequestEnvelope,
  type RequestLog,
  successBody,
  verifyEnvelopeMac,
} from '@netlab/request-log';
import type { Service } from '@netlab/service';
import { isKeyExchangePublic } from './key-exchange.js';
import type { AtmLedger } from './ledger.js';
import { loginProof } from './login-proof.js';
import { type AtmReply, type AtmRequest, parseAtmRequest } from './messages.js';
import { type RateLimiterOptions, createRateLimiter } from './rate-limiter.js';
import { RESPONSE_CODES } from './response-codes.js';
import { isSessionTokenOf, sessionKeyOf } from './session-credentials.js';

export interface AtmServiceOptions<E> {
  /** The ledger whose effects run the operations. Required. */
  readonly ledger: AtmLedger<E>;
  /** The request log over `ledger.store`. Required. */
  readonly log: RequestLog<E>;
  /** Service name for logs. Default `'atm'`. */
  readonly name?: string;
  /** Limits on requests that prove no authority. Default: `rate-limiter.ts`'s defaults. */
  readonly rateLimits?: RateLimiterOptions;
}

function errorReply(envelope: RequestEnvelope, code: ReplyErrorCode, message: string): ErrorReply {
  return { kind: 'reply', clientId: envelope.clientId, seq: envelope.seq, status: 'error', code, message };
}

function invalidReply(envelope: RequestEnvelope, message: string): ReplyEnvelope {
  const value: AtmReply = { code: 'INVALID_REQUEST', message: `${RESPONSE_CODES.INVALID_REQUEST.message}: ${message}` };
  return { kind: 'reply', clientId: envelope.clientId, seq: envelope.seq, status: 'done', replay: false, body: successBody(value) };
}

/** Why a non-login envelope is refused, or undefined when it carries its session's authority. */
function authorityProblem<E>(ledger: AtmLedger<E>, envelope: RequestEnvelope, request: Exclude<AtmRequest, { readonly op: 'login' }>): string | undefined {
  if (!isSessionTokenOf(ledger.bankKey, request.session, envelope.clientId)) return 'the session was not issued to this client id';
  if (envelope.mac === undefined) return 'no mac: every request after the login carries the envelope MAC under the session key';
  if (!verifyEnvelopeMac(sessionKeyOf(ledger.bankKey, request.session), envelope)) return 'the envelope MAC does not verify under the session key';
  return undefined;
}

/** Creates the bank service. */
export function createAtmService<E>(options: AtmServiceOptions<E>): Service<RequestEnvelope, ReplyEnvelope> {
  const { ledger, log } = options;
  const limiter = createRateLimiter(options.rateLimits);

  async function execute(envelope: RequestEnvelope, request: AtmRequest): Promise<ReplyEnvelope> {
    let prepared;
    try {
      prepared = await ledger.prepare(request);
    } catch (error) {
      // The store could not be read (PostgreSQL down): nothing ran; the ATM retries the same id.
      const message = `store unavailable: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200);
      return errorReply(envelope, 'ERR_UNAVAILABLE', message);
    }
    const logged =
      request.op === 'login'
        ? { ...envelope, payload: { ...request, pinBlock: loginProof(ledger.bankKey, envelope.clientId, envelope.seq, request.pinBlock) } }
        : envelope;
    return log.execute(logged, ledger.effect(prepared));
  }

  return {
    name: options.name ?? 'atm',
    open: (peer, ctx) => ({
      async receive(envelope) {
        const unproven = (): ReplyEnvelope | undefined =>
          limiter.take(peer.address, ctx.now()) ? undefined : errorReply(envelope, 'ERR_UNAVAILABLE', 'too many unauthenticated requests from this address: retry later');
        const parsed = parseAtmRequest(envelope.payload);
        if (!parsed.ok) return [unproven() ?? invalidReply(envelope, parsed.message)];
        const request = parsed.request;
        if (request.op === 'login') {
          const limited = unproven();
          if (limited !== undefined) return [limited];
          if (envelope.seq !== 1 || envelope.ack !== 0) {
            return [errorReply(envelope, 'ERR_INVALID_REQUEST', 'a login must be the first request of a new client id (seq 1, ack 0)')];
          }
          if (!isKeyExchangePublic(request.dh)) return [invalidReply(envelope, 'dh: not a value of the key exchange group')];
          return [await execute(envelope, request)];
        }
        const problem = authorityProblem(ledger, envelope, request);
        if (problem !== undefined) return [unproven() ?? errorReply(envelope, 'ERR_UNAUTHENTICATED', problem)];
        return [await execute(envelope, request)];
      },
    }),
  };
}
