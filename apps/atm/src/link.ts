/**
 * The ATM's end of the wire: `@netlab/request-log` clients (same request id on every
 * retransmission, backoff with jitter, ack watermark) carried over TCP or UDP, with the counters
 * the error-rate report prints. Each `connect()` opens a channel with a new client id (the ATM
 * takes one per login: a session is bound to the client id that opened it), all sharing the
 * link's one connection or socket (`createAtmChannels` of `@netlab/service-atm`).
 *
 * - TCP: one reconnecting connection per endpoint; requests go to the active one, and are all
 *   resent when it (re)connects. With several endpoints (replicas) the link fails over to the
 *   next when the active one drops, and `failover()` switches on demand.
 * - UDP: one socket; each request is one datagram to the active endpoint; lost, duplicated and
 *   late datagrams are covered by retransmission and by ignoring replies that resolve nothing.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  type ReplyEnvelope,
  type RequestEnvelope,
  createClientDatagramCodec,
  createClientStreamCodec,
  isRequestLogError,
} from '@netlab/request-log';
import { type AtmChannel, type AtmRequest, createAtmChannels } from '@netlab/service-atm';
import { type ReconnectingTcpClient, type TcpClientTlsOptions, type TcpError, createReconnectingTcpClient } from '@netlab/transport-tcp';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Something the link did, for the interactive client's "resending…" lines and the chaos trace. */
export type LinkEvent =
  | { readonly type: 'send'; readonly clientId: string; readonly seq: number; readonly attempt: number; readonly op: string; readonly at: number }
  | { readonly type: 'reply'; readonly clientId: string; readonly seq: number; readonly replay: boolean; readonly body: string; readonly at: number }
  | { readonly type: 'unknown'; readonly clientId: string; readonly seq: number; readonly at: number }
  | { readonly type: 'failover'; readonly to: Endpoint; readonly at: number };

export interface LinkStats {
  /** Distinct requests (request ids). */
  readonly requests: number;
  /** Datagrams or frames sent, first transmissions and retransmissions. */
  readonly attempts: number;
  readonly retries: number;
  /** Give-ups (outcome unknown) before a later retry resolved them, or for good. */
  readonly timeouts: number;
  /** Replies that resolved a request. */
  readonly replies: number;
  /** Of those, replies the server answered from its log (the first reply was lost). */
  readonly fromLog: number;
  readonly failovers: number;
}

export interface LinkOptions {
  readonly transport: 'tcp' | 'udp';
  /** Where the bank listens; more than one = replicas to fail over between. Required. */
  readonly endpoints: readonly Endpoint[];
  /** First retransmission delay. Default 200 ms. */
  readonly initialRetransmitMs?: number;
  /** Largest retransmission delay. Default 2,000 ms. */
  readonly maxRetransmitMs?: number;
  /** Time without a reply before a call's outcome is unknown. Default 10,000 ms. */
  readonly giveUpAfterMs?: number;
  /** Further rounds of retransmission after an unknown outcome before `call` rejects. Default 2. */
  readonly unknownRetries?: number;
  /** Random source for jitter and backoff. Default `Math.random`. */
  readonly random?: () => number;
  readonly onEvent?: (event: LinkEvent) => void;
  /** TCP only: speak TLS with these options (`--tls` flags). Default: plain TCP. */
  readonly tls?: TcpClientTlsOptions;
}

/** A channel of the link; `call` runs one operation exactly once and rejects with `ERR_OUTCOME_UNKNOWN` after every round gave up. */
export interface LinkChannel extends AtmChannel {
  readonly clientId: string;
}

export interface AtmLink {
  /** Opens a channel with a new client id (one per login attempt). */
  connect(): LinkChannel;
  /** Switches to the next endpoint and resends what is outstanding. */
  failover(): void;
  stats(): LinkStats;
  /** The last failure to connect over TCP (a refused certificate says why here), or undefined. */
  connectError(): TcpError | undefined;
  close(): Promise<void>;
}

type Counters = { -readonly [K in keyof LinkStats]: LinkStats[K] };

/** Opens a link (connections are made in the background; calls wait by retransmitting). */
export function createAtmLink(options: LinkOptions): AtmLink {
  if (options.endpoints.length === 0) throw new Error('createAtmLink needs at least one endpoint');
  const emit = options.onEvent ?? ((): void => undefined);
  const random = options.random ?? Math.random;
  const counters: Counters = { requests: 0, attempts: 0, retries: 0, timeouts: 0, replies: 0, fromLog: 0, failovers: 0 };
  /** Transmissions so far of each request id still waiting for its reply (`clientId:seq`). */
  const attemptsById = new Map<string, number>();
  let active = 0;
  /** Sends one envelope; false when there was no connection to send it on (not counted as an attempt). */
  let transmit: (request: RequestEnvelope) => boolean = () => false;
  let closeTransport: () => Promise<void> = () => Promise.resolve();
  let lastConnectError: TcpError | undefined;

  const channels = createAtmChannels({
    send(request) {
      if (!transmit(request)) return;
      const id = `${request.clientId}:${request.seq}`;
      const attempt = (attemptsById.get(id) ?? 0) + 1;
      attemptsById.set(id, attempt);
      counters.attempts++;
      if (attempt === 1) counters.requests++;
      else counters.retries++;
      const payload = request.payload;
      const named = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as { readonly op?: unknown }).op : undefined;
      const op = typeof named === 'string' ? named : '?';
      emit({ type: 'send', clientId: request.clientId, seq: request.seq, attempt, op, at: Date.now() });
    },
    random,
    initialRetransmitMs: options.initialRetransmitMs ?? 200,
    maxRetransmitMs: options.maxRetransmitMs ?? 2_000,
    giveUpAfterMs: options.giveUpAfterMs ?? 10_000,
  });

  const receive = (reply: ReplyEnvelope): void => {
    const id = `${reply.clientId}:${reply.seq}`;
    if (attemptsById.has(id) && reply.status === 'done') {
      attemptsById.delete(id);
      counters.replies++;
      if (reply.replay) counters.fromLog++;
      emit({ type: 'reply', clientId: reply.clientId, seq: reply.seq, replay: reply.replay, body: reply.body, at: Date.now() });
    }
    channels.receive(reply);
  };

  const switchTo = (index: number): void => {
    active = index % options.endpoints.length;
    counters.failovers++;
    const to = options.endpoints[active];
    if (to !== undefined) emit({ type: 'failover', to, at: Date.now() });
    channels.resend();
  };

  if (options.transport === 'tcp') {
    const connections: ReconnectingTcpClient<ReplyEnvelope, RequestEnvelope>[] = options.endpoints.map((endpoint, index) =>
      createReconnectingTcpClient({
        codec: createClientStreamCodec(),
        host: endpoint.host,
        port: endpoint.port,
        backoff: { initialDelayMs: 50, maxDelayMs: 500, random },
        ...(options.tls === undefined ? {} : { tls: options.tls }),
        onEvent: (event) => {
          if (event.type === 'retry' || event.type === 'gave-up') lastConnectError = event.error;
          if (event.type === 'connected') lastConnectError = undefined;
          if (index !== active) return;
          if (event.type === 'connected') channels.resend();
          else if (event.type === 'disconnected' && options.endpoints.length > 1) switchTo(active + 1);
        },
      }),
    );
    for (const connection of connections) {
      void (async () => {
        for await (const reply of connection) receive(reply);
      })().catch(() => undefined);
    }
    transmit = (request) => {
      const connection = connections[active];
      if (connection?.connected !== true) return false;
      connection.send(request);
      return true;
    };
    closeTransport = async () => {
      await Promise.all(connections.map((connection) => connection.close()));
    };
  } else {
    const codec = createClientDatagramCodec();
    const first = options.endpoints[0];
    const socket = dgram.createSocket(first !== undefined && isIPv6(first.host) ? 'udp6' : 'udp4');
    // Port unreachable (server down) and other socket errors: retransmission covers them.
    socket.on('error', () => undefined);
    socket.on('message', (datagram) => {
      let reply: ReplyEnvelope;
      try {
        reply = codec.decode(datagram);
      } catch {
        return; // a corrupted or foreign datagram: ignored, the request is retransmitted
      }
      receive(reply);
    });
    socket.bind(0);
    transmit = (request) => {
      const endpoint = options.endpoints[active];
      if (endpoint === undefined) return false;
      socket.send(codec.encode(request), endpoint.port, endpoint.host, () => undefined);
      return true;
    };
    closeTransport = () =>
      new Promise((resolve) => {
        socket.close(() => {
          resolve();
        });
      });
  }

  const unknownRetries = options.unknownRetries ?? 2;
  return {
    connect() {
      const channel = channels.connect();
      const { client } = channel;
      return {
        clientId: client.clientId,
        async call(payload: AtmRequest) {
          let result = client.call(payload);
          for (let round = 0; ; round++) {
            try {
              return await result;
            } catch (error) {
              if (!isRequestLogError(error, 'ERR_OUTCOME_UNKNOWN') || error.seq === undefined) throw error;
              counters.timeouts++;
              emit({ type: 'unknown', clientId: client.clientId, seq: error.seq, at: Date.now() });
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
          for (const id of attemptsById.keys()) if (id.startsWith(`${client.clientId}:`)) attemptsById.delete(id);
        },
      };
    },
    failover() {
      if (options.endpoints.length > 1) switchTo(active + 1);
    },
    stats: () => ({ ...counters }),
    connectError: () => lastConnectError,
    async close() {
      channels.close();
      await closeTransport();
    },
  };
}

/** Observed loss: the share of attempts that drew no reply that resolved anything. */
export function observedLoss(stats: LinkStats): number {
  return stats.attempts === 0 ? 0 : Math.max(0, 1 - stats.replies / stats.attempts);
}
