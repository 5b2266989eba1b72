import type { Service } from '@netlab/service';
import { type WsCodec, type WsServerEvent, type WsServerOptions, createWsServer } from '@netlab/transport-ws';
import { innerMessage } from './errors.js';
import { isPayloadLogging, logPayloads } from './payload-log.js';
import { type RunningServer, type ServeCommonOptions, announce, peerLabel, writeStderr } from './running-server.js';

/** WebSocket transport options an app may tune (the names are TCP's: one set of limits serves both). */
export type WsTuning<In, Out> = Omit<WsServerOptions<In, Out>, 'codec' | 'service' | 'host' | 'port' | 'onEvent'>;

export interface ServeWsOptions<In, Out> extends ServeCommonOptions {
  /** One message per WebSocket message. Required. */
  readonly codec: WsCodec<In, Out>;
  /** The service each WebSocket opens a session of (the same object as the TCP server's: one room, one bank). Required. */
  readonly service: Service<In, Out>;
  /** Extra `@netlab/transport-ws` options (limits, timeouts, `authorize`). Default: the transport's defaults. */
  readonly ws?: WsTuning<In, Out>;
}

function describe(exercise: string, event: WsServerEvent): string | undefined {
  switch (event.type) {
    case 'connection':
      return `${exercise}: websocket from ${peerLabel(event.peer)}`;
    case 'close': {
      const detail = event.reason.message === undefined ? event.reason.kind : `${event.reason.kind}: ${event.reason.message}`;
      return `${exercise}: websocket ${peerLabel(event.peer)} closed (${detail}) after ${event.stats.messagesIn} in, ${event.stats.messagesOut} out`;
    }
    case 'rejected':
      return `${exercise}: refused websocket ${peerLabel(event.peer)}: ${event.error.message}`;
    case 'error':
      if (event.peer === undefined) return `${exercise}: ${event.error.message}`;
      return event.error.code === 'ERR_MALFORMED_INPUT'
        ? `${exercise}: malformed input from websocket ${peerLabel(event.peer)}: ${innerMessage(event.error)}`
        : `${exercise}: websocket ${peerLabel(event.peer)}: ${event.error.message}`;
    case 'log':
      return `${exercise}: ${peerLabel(event.peer)}: ${event.message}`;
    default:
      return undefined;
  }
}

/**
 * Starts a WebSocket server for `service` beside an app's TCP/UDP one: prints
 * `<exercise> listening on ws://HOST:PORT`, logs to stderr, stops on SIGINT/SIGTERM (unless
 * `handleSignals` is false). Rejects with `ERR_LISTEN` when the address cannot be bound.
 */
export async function serveWs<In, Out>(options: ServeWsOptions<In, Out>): Promise<RunningServer> {
  const log = options.log ?? writeStderr;
  const verbose = options.verbose ?? isPayloadLogging();
  const server = createWsServer<In, Out>({
    ...options.ws,
    codec: options.codec,
    service: verbose ? logPayloads(options.service, options.exercise, log) : options.service,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    onEvent: (event) => {
      const line = describe(options.exercise, event);
      if (line !== undefined) log(line);
    },
  });
  return announce('ws', server, options);
}
