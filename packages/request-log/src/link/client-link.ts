/**
 * The client end of an exactly-once link: `@netlab/request-log` clients (the same request id on
 * every retransmission, backoff with jitter, the ack watermark) carried over TCP or UDP, with the
 * counters an error-rate report prints. Each `connect()` opens a channel with a new client id,
 * all sharing the link's connections or sockets (`createClientChannels`).
 *
 * - TCP: one reconnecting connection per endpoint; requests go to the active one and are all
 *   resent when it (re)connects. With several endpoints (replicas) the link fails over to the
 *   next when the active one drops, and `failover()` switches on demand.
 * - UDP: one datagram peer per endpoint (`connectUdp`, no retries of its own); each request is
 *   one datagram to the active endpoint; lost, duplicated and late datagrams are covered by
 *   retransmission and by ignoring replies that resolve nothing. Only `failover()` switches.
 *
 * A call that gets no reply within `giveUpAfterMs` is an unknown outcome; the link retries it
 * under the same id `unknownRetries` more times (each a new round of retransmissions) before
 * `call` rejects with `ERR_OUTCOME_UNKNOWN`. Bounded: one counter per request still waiting,
 * dropped with its reply or its channel.
 */
import { type Clock, systemClock } from '@netlab/ground';
import type { ClientChannelsOptions } from '../client-channels.js';
import { createClientChannels } from '../client-channels.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { ReplyEnvelope, RequestEnvelope } from '../core/messages.js';
import { RequestLogError, assertIntegerOption, isRequestLogError } from '../errors.js';
import type { LinkEndpoint, LinkTransport, LinkTransportHooks } from './link-transport.js';
import type { TcpClientTlsOptions, TcpError } from '@netlab/transport-tcp';
import { createTcpLinkTransport } from './tcp-link-transport.js';
import { createUdpLinkTransport } from './udp-link-transport.js';

/** Default further rounds of retransmission after an unknown outcome, before `call` rejects: 2. */
export const DEFAULT_UNKNOWN_RETRIES = 2;
/** Default first TCP reconnect delay: 50 ms (then doubling, with jitter). */
export const DEFAULT_RECONNECT_INITIAL_MS = 50;
/** Default largest TCP reconnect delay: 500 ms. */
export const DEFAULT_RECONNECT_MAX_MS = 500;

/** Something the link did: for "resending…" lines, traces and chaos recorders. `at` is the clock's `now()`. */
export type LinkEvent =
  | { readonly type: 'send'; readonly clientId: string; readonly seq: number; readonly attempt: number; readonly op: string; readonly at: number }
  | { readonly type: 'reply'; readonly clientId: string; readonly seq: number; readonly replay: boolean; readonly body: string; readonly at: number }
  | { readonly type: 'unknown'; readonly clientId: string; readonly seq: number; readonly at: number }
  | { readonly type: 'failover'; readonly to: LinkEndpoint; readonly at: number };

export interface LinkStats {
  /** Distinct requests (request ids). */
  readonly requests: number;
  /** Datagrams or frames sent: first transmissions and retransmissions. */
  readonly attempts: number;
  /** Retransmissions (`attempts − requests`). */
  readonly retries: number;
  /** Give-ups (outcome unknown), whether a later round resolved them or not. */
  readonly timeouts: number;
  /** Replies that resolved a request. */
  readonly replies: number;
  /** Of those, replies the server answered from its log (the first reply was lost or late). */
  readonly fromLog: number;
  readonly failovers: number;
}

export interface ClientLinkOptions extends Omit<ClientChannelsOptions, 'send'> {
  /** `'tcp'` (length-prefixed frames) or `'udp'` (one envelope per datagram). Required. */
  readonly transport: 'tcp' | 'udp';
  /** Where the server listens; more than one = replicas to fail over between (1 to 64). Required. */
  readonly endpoints: readonly LinkEndpoint[];
  /** Further rounds of retransmission after an unknown outcome before `call` rejects (0 to 1,000,000). Default {@link DEFAULT_UNKNOWN_RETRIES}. */
  readonly unknownRetries?: number;
  /** The request's operation name in `send` events. Default: the payload's string `op` field, else `'?'`. */
  readonly operation?: (payload: JsonValue) => string;
  /** TCP reconnect backoff. Default {@link DEFAULT_RECONNECT_INITIAL_MS} to {@link DEFAULT_RECONNECT_MAX_MS}, with the link's `random`. */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Called for every {@link LinkEvent}. Default: none. */
  readonly onEvent?: (event: LinkEvent) => void;
  /** TCP only: speak TLS with these options (`--tls` flags of the netlab clients). Default: plain TCP. */
  readonly tls?: TcpClientTlsOptions;
}

/** A channel of the link: `call` runs one operation exactly once, retrying unknown outcomes (see the module comment). */
export interface LinkChannel {
  readonly clientId: string;
  /** Resolves with the effect's value; rejects with `ERR_OUTCOME_UNKNOWN` after every round gave up, or the request's own error. */
  call(payload: JsonValue): Promise<JsonValue>;
  /** Every envelope of this channel from now on carries its MAC under `key`. */
  authenticate(key: Uint8Array | undefined): void;
  /** Done with: the client id is never used again. */
  close(): void;
}

export interface ClientLink {
  /** Opens a channel with a new client id (one per conversation, e.g. per login). */
  connect(): LinkChannel;
  /** Switches to the next endpoint and resends what is outstanding (no-op with one endpoint). */
  failover(): void;
  stats(): LinkStats;
  /** The last failure to connect over TCP (a refused TLS certificate says why here), or undefined. */
  connectError(): TcpError | undefined;
  /** Closes every channel (outstanding calls reject with `ERR_CLOSED`) and the transport. */
  close(): Promise<void>;
}

type Counters = { -readonly [K in keyof LinkStats]: LinkStats[K] };

const operationField = (payload: JsonValue): string => {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return '?';
  const named = (payload as Readonly<Record<string, JsonValue | undefined>>).op;
  return typeof named === 'string' ? named : '?';
};

/** Opens a link: connections are made in the background; calls wait by retransmitting. */
export function createClientLink(options: ClientLinkOptions): ClientLink {
  const { transport, endpoints, unknownRetries = DEFAULT_UNKNOWN_RETRIES, operation = operationField, reconnect, onEvent, ...channelOptions } = options;
  if (!(['tcp', 'udp'] as readonly string[]).includes(transport)) throw new RequestLogError('ERR_INVALID_OPTION', `transport must be 'tcp' or 'udp', got ${JSON.stringify(transport)}`);
  assertIntegerOption('endpoints.length', endpoints.length, 1, 64);
  assertIntegerOption('unknownRetries', unknownRetries, 0, 1_000_000);
  const clock: Clock = options.clock ?? systemClock;
  const emit = onEvent ?? ((): void => undefined);
  const counters: Counters = { requests: 0, attempts: 0, retries: 0, timeouts: 0, replies: 0, fromLog: 0, failovers: 0 };
  /** Transmissions so far of each request still waiting for its reply (`clientId:seq`). */
  const attemptsById = new Map<string, number>();
  let active = 0;

  const channels = createClientChannels({
    ...channelOptions,
    send(request: RequestEnvelope) {
      if (!wire.send(active, request)) return; // no connection yet: retransmission covers it
      const id = `${request.clientId}:${String(request.seq)}`;
      const attempt = (attemptsById.get(id) ?? 0) + 1;
      attemptsById.set(id, attempt);
      counters.attempts++;
      if (attempt === 1) counters.requests++;
      else counters.retries++;
      emit({ type: 'send', clientId: request.clientId, seq: request.seq, attempt, op: operation(request.payload), at: clock.now() });
    },
  });

  const switchTo = (index: number): void => {
    active = index % endpoints.length;
    counters.failovers++;
    const to = endpoints[active];
    if (to !== undefined) emit({ type: 'failover', to, at: clock.now() });
    channels.resend();
  };

  const hooks: LinkTransportHooks = {
    receive(reply: ReplyEnvelope) {
      const id = `${reply.clientId}:${String(reply.seq)}`;
      if (attemptsById.has(id) && reply.status === 'done') {
        attemptsById.delete(id);
        counters.replies++;
        if (reply.replay) counters.fromLog++;
        emit({ type: 'reply', clientId: reply.clientId, seq: reply.seq, replay: reply.replay, body: reply.body, at: clock.now() });
      }
      channels.receive(reply);
    },
    ready(index) {
      if (index === active) channels.resend();
    },
    lost(index) {
      if (index === active && endpoints.length > 1) switchTo(active + 1);
    },
  };
  const random = options.random;
  const wire: LinkTransport =
    transport === 'tcp'
      ? createTcpLinkTransport({
          endpoints,
          hooks,
          clock,
          ...(options.tls === undefined ? {} : { tls: options.tls }),
          reconnect: {
            initialDelayMs: reconnect?.initialDelayMs ?? DEFAULT_RECONNECT_INITIAL_MS,
            maxDelayMs: reconnect?.maxDelayMs ?? DEFAULT_RECONNECT_MAX_MS,
            ...(random === undefined ? {} : { random }),
          },
        })
      : createUdpLinkTransport({ endpoints, hooks });

  return {
    connect() {
      const channel = channels.connect();
      const { client } = channel;
      return {
        clientId: client.clientId,
        async call(payload) {
          let result = client.call(payload);
          for (let round = 0; ; round++) {
            try {
              return await result;
            } catch (error) {
              if (!isRequestLogError(error, 'ERR_OUTCOME_UNKNOWN') || error.seq === undefined) throw error;
              counters.timeouts++;
              emit({ type: 'unknown', clientId: client.clientId, seq: error.seq, at: clock.now() });
              if (round >= unknownRetries) throw error;
              result = client.retry(error.seq);
            }
          }
        },
        authenticate: (key) => {
          channel.authenticate(key);
        },
        close: () => {
          channel.close();
          // Forget the counts of this channel's requests that never got a reply: the channel is gone.
          const prefix = `${client.clientId}:`;
          for (const id of attemptsById.keys()) if (id.startsWith(prefix)) attemptsById.delete(id);
        },
      };
    },
    failover() {
      if (endpoints.length > 1) switchTo(active + 1);
    },
    stats: () => ({ ...counters }),
    connectError: () => wire.connectError?.(),
    async close() {
      channels.close();
      await wire.close();
    },
  };
}

/** Observed loss: the share of attempts that drew no reply that resolved anything. */
export function observedLoss(stats: LinkStats): number {
  return stats.attempts === 0 ? 0 : Math.max(0, 1 - stats.replies / stats.attempts);
}
