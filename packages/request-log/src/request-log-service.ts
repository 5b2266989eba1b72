/**
 * The request log as a `@netlab/service` service, so any netlab transport (TCP, UDP, an
 * in-memory link) can carry it: each request envelope becomes exactly one reply envelope from
 * `log.execute`. Over TCP the server delivers one connection's messages one at a time; requests
 * from different connections run concurrently (and are group-committed on SQLite).
 *
 * Malformed frames have no request id to answer, so they get no reply (over TCP the transport
 * then closes the connection; the client reconnects and retransmits).
 */
import { isPromiseLike } from '@netlab/ground';
import type { Service } from '@netlab/service';
import type { ReplyEnvelope, RequestEnvelope } from './core/messages.js';
import type { RequestLog } from './request-log.js';

export interface RequestLogServiceOptions<E> {
  /** The request log that runs the effects. Required. */
  readonly log: RequestLog<E>;
  /** The effect to run for a request (usually chosen by its payload). Required. */
  readonly effect: (request: RequestEnvelope) => E;
  /** Service name for logs. Default `'request-log'`. */
  readonly name?: string;
}

const one = (reply: ReplyEnvelope): readonly ReplyEnvelope[] => [reply];

/** Creates a service answering request envelopes through `log`. */
export function createRequestLogService<E>(options: RequestLogServiceOptions<E>): Service<RequestEnvelope, ReplyEnvelope> {
  const { log, effect } = options;
  return {
    name: options.name ?? 'request-log',
    open: () => ({
      // A synchronous store answers in the same turn: no promise per message.
      receive: (request) => {
        const reply = log.executeNow(request, effect(request));
        return isPromiseLike(reply) ? reply.then(one) : [reply];
      },
    }),
  };
}
