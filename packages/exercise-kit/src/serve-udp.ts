import type { DatagramCodec } from '@netlab/codec';
import { DEFAULT_HOST } from '@netlab/ground';
import type { Service } from '@netlab/service';
import { type UdpServerEvent, type UdpServerOptions, createUdpServer } from '@netlab/transport-udp';
import { innerMessage } from './errors.js';
import { isPayloadLogging, logPayloads } from './payload-log.js';
import { type RunningServer, type ServeCommonOptions, announce, peerLabel, writeStderr } from './running-server.js';

/** Transport options an app may tune; address, codec, service and events are set by `serveUdp`. */
export type UdpTuning<In, Out> = Omit<UdpServerOptions<In, Out>, 'codec' | 'service' | 'host' | 'port' | 'onEvent'>;

export interface ServeUdpOptions<In, Out> extends ServeCommonOptions {
  /** The protocol's datagram codec. Required. */
  readonly codec: DatagramCodec<In, Out>;
  /** The service. Required. */
  readonly service: Service<In, Out>;
  /**
   * Extra `@netlab/transport-udp` options. Default `{ sessions: 'per-datagram' }`: the small UDP
   * exercises are stateless, and a session per datagram logs every request.
   */
  readonly udp?: UdpTuning<In, Out>;
}

function describe(exercise: string, perDatagram: boolean, event: UdpServerEvent): string | undefined {
  switch (event.type) {
    case 'session':
      return `${exercise}: ${perDatagram ? 'request' : 'new peer'} from ${peerLabel(event.peer)}`;
    case 'close':
      return perDatagram ? undefined : `${exercise}: ${peerLabel(event.peer)} session closed (${event.reason.kind})`;
    case 'malformed':
      return `${exercise}: malformed datagram from ${peerLabel(event.peer)}: ${innerMessage(event.error)}`;
    case 'rejected':
      return `${exercise}: refused ${peerLabel(event.peer)}: ${event.error.message}`;
    case 'dropped':
      return `${exercise}: dropped a datagram from ${peerLabel(event.peer)} (${event.why})`;
    case 'error':
      return event.peer === undefined ? `${exercise}: ${event.error.message}` : `${exercise}: ${peerLabel(event.peer)}: ${innerMessage(event.error)}`;
    case 'log':
      return `${exercise}: ${peerLabel(event.peer)}: ${event.message}`;
    default:
      return undefined;
  }
}

/**
 * Starts a UDP server for `service`, prints the startup line, logs each request to stderr and
 * (by default) stops gracefully on SIGINT/SIGTERM. Rejects with `ERR_LISTEN` when it cannot bind.
 */
export async function serveUdp<In, Out>(options: ServeUdpOptions<In, Out>): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? 0;
  const log = options.log ?? writeStderr;
  const tuning: UdpTuning<In, Out> = { sessions: 'per-datagram', ...options.udp };
  const perDatagram = tuning.sessions === 'per-datagram';
  const server = createUdpServer<In, Out>({
    ...tuning,
    codec: options.codec,
    service: (options.verbose ?? isPayloadLogging()) ? logPayloads(options.service, options.exercise, log) : options.service,
    host,
    port,
    onEvent: (event) => {
      const line = describe(options.exercise, perDatagram, event);
      if (line !== undefined) log(line);
    },
  });
  return announce('udp', server, options);
}
