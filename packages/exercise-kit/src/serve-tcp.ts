import type { StreamCodec } from '@netlab/codec';
import type { Service } from '@netlab/service';
import { type TcpServerEvent, type TcpServerOptions, createTcpServer } from '@netlab/transport-tcp';
import { innerMessage } from './errors.js';
import { isPayloadLogging, logPayloads } from './payload-log.js';
import { type RunningServer, type ServeCommonOptions, announce, peerLabel, writeStderr } from './running-server.js';

/** Transport options an app may tune; address, codec, service and events are set by `serveTcp`. */
export type TcpTuning<In, Out> = Omit<TcpServerOptions<In, Out>, 'codec' | 'service' | 'host' | 'port' | 'onEvent'>;

export interface ServeTcpOptions<In, Out> extends ServeCommonOptions {
  /** The protocol's codec. Required. */
  readonly codec: StreamCodec<In, Out>;
  /** The service each connection opens a session of. Required. */
  readonly service: Service<In, Out>;
  /** Extra `@netlab/transport-tcp` options (limits, timeouts). Default: the transport's defaults. */
  readonly tcp?: TcpTuning<In, Out>;
}

function describe(exercise: string, event: TcpServerEvent): string | undefined {
  switch (event.type) {
    case 'connection':
      return `${exercise}: connection from ${peerLabel(event.peer)}`;
    case 'close': {
      const detail = event.reason.message === undefined ? event.reason.kind : `${event.reason.kind}: ${event.reason.message}`;
      return `${exercise}: ${peerLabel(event.peer)} closed (${detail}) after ${event.stats.messagesIn} in, ${event.stats.messagesOut} out`;
    }
    case 'rejected':
      return `${exercise}: refused ${peerLabel(event.peer)}: ${event.error.message}`;
    case 'error':
      if (event.peer === undefined) return `${exercise}: ${event.error.message}`;
      return event.error.code === 'ERR_MALFORMED_INPUT'
        ? `${exercise}: malformed input from ${peerLabel(event.peer)}: ${innerMessage(event.error)}`
        : `${exercise}: ${peerLabel(event.peer)}: ${event.error.message}`;
    case 'log':
      return `${exercise}: ${peerLabel(event.peer)}: ${event.message}`;
    default:
      return undefined;
  }
}

/**
 * Starts a TCP server for `service`, prints the startup line, logs to stderr and (by default)
 * stops gracefully on SIGINT/SIGTERM. Rejects with `ERR_LISTEN` when the address cannot be bound.
 */
export async function serveTcp<In, Out>(options: ServeTcpOptions<In, Out>): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const log = options.log ?? writeStderr;
  const server = createTcpServer<In, Out>({
    ...options.tcp,
    codec: options.codec,
    service: (options.verbose ?? isPayloadLogging()) ? logPayloads(options.service, options.exercise, log) : options.service,
    host,
    port,
    onEvent: (event) => {
      const line = describe(options.exercise, event);
      if (line !== undefined) log(line);
    },
  });
  return announce('tcp', server, options);
}
