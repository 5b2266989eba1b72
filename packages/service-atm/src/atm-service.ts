/**
 * The bank as a `@netlab/service` service: each request envelope (TCP frame or UDP datagram) is
 * prepared outside any transaction (payload validation; for a login, hashing the PIN candidate
 * on libuv's thread pool), then handed to the request log, which runs the ledger's effect at
 * most once per request id, in the same transaction as its completion record, and answers
 * duplicates from that record. Exactly one reply envelope per request.
 *
 * Malformed frames carry no request id, so they get no reply (see `createRequestLogService`).
 */
import type { ReplyEnvelope, RequestEnvelope, RequestLog } from '@netlab/request-log';
import type { Service } from '@netlab/service';
import type { AtmLedger } from './ledger.js';

export interface AtmServiceOptions<E> {
  /** The ledger whose effects run the operations. Required. */
  readonly ledger: AtmLedger<E>;
  /** The request log over `ledger.store`. Required. */
  readonly log: RequestLog<E>;
  /** Service name for logs. Default `'atm'`. */
  readonly name?: string;
}

/** Creates the bank service. */
export function createAtmService<E>(options: AtmServiceOptions<E>): Service<RequestEnvelope, ReplyEnvelope> {
  const { ledger, log } = options;
  return {
    name: options.name ?? 'atm',
    open: () => ({
      async receive(request) {
        let prepared;
        try {
          prepared = await ledger.prepare(request.payload);
        } catch (error) {
          // The store could not be read (PostgreSQL down): nothing ran; the ATM retries the same id.
          const message = `store unavailable: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200);
          return [{ kind: 'reply', clientId: request.clientId, seq: request.seq, status: 'error', code: 'ERR_UNAVAILABLE', message } satisfies ReplyEnvelope];
        }
        return [await log.execute(request, ledger.effect(prepared))];
      },
    }),
  };
}
