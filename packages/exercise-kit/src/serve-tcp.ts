import type { StreamCodec } from '@netlab/codec';
import { DEFAULT_HOST } from '@netlab/ground';
import type { Service } from '@netlab/service';
import { type TcpServerEvent, type TcpServerOptions, createTcpServer } from '@netlab/transport-tcp';
import { innerMessage } from './errors.js';
import { isPayloadLogging, logPayloads } from './payload-log.js';
import { type RunningServer, type ServeCommonOptions, announce, peerLabel, writeStderr } from './running-server.js';
import { isTextLineCodec } from './text-codecs.js';
import { type ServerTlsFlags, describeServerTls, resolveServerTls } from './tls-options.js';

/**
 * What a text line server says where the protocol has a way to say it: a connection refused for
 * capacity gets `ERROR server busy` (reliability defect 13: it used to see a bare EOF), and one
 * dropped for not reading its replies gets `ERROR send queue exceeded` after the whole lines it
 * was sent. Apps that pass their own (chat: `ERROR server full`) keep theirs.
 */
export const LINE_SERVER_TUNING: TcpTuning<string, string> = {
  busyReply: 'ERROR server busy',
  overflowReply: 'ERROR send queue exceeded',
};

/** Transport options an app may tune; address, codec, service and events are set by `serveTcp`. */
export type TcpTuning<In, Out> = Omit<TcpServerOptions<In, Out>, 'codec' | 'service' | 'host' | 'port' | 'onEvent'>;

export interface ServeTcpOptions<In, Out> extends ServeCommonOptions {
  /** The protocol's codec. Required. */
  readonly codec: StreamCodec<In, Out>;
  /** The service each connection opens a session of. Required. */
  readonly service: Service<In, Out>;
  /** Extra `@netlab/transport-tcp` options (limits, timeouts). Default: the transport's defaults. */
  readonly tcp?: TcpTuning<In, Out>;
  /** The `--tls` flags (`tls-options.ts`): serve TLS and name the certificate on the startup line. Default: plain TCP. */
  readonly tls?: ServerTlsFlags;
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

/** True when the server speaks text lines (its codec came from `createTextLineCodec`). */
function isTextLines<In, Out>(options: ServeTcpOptions<In, Out>): options is ServeTcpOptions<In, Out> & ServeTcpOptions<string, string> {
  return isTextLineCodec(options.codec);
}

/**
 * Starts a TCP server for `service`, prints the startup line, logs to stderr and (by default)
 * stops gracefully on SIGINT/SIGTERM. Rejects with `ERR_LISTEN` when the address cannot be bound.
 */
export async function serveTcp<In, Out>(options: ServeTcpOptions<In, Out>): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? 0;
  const log = options.log ?? writeStderr;
  const onEvent = (event: TcpServerEvent): void => {
    const line = describe(options.exercise, event);
    if (line !== undefined) log(line);
  };
  const verbose = options.verbose ?? isPayloadLogging();
  const tls = options.tls === undefined ? undefined : resolveServerTls(options.tls, host);
  const secure = tls === undefined ? {} : { tls: tls.options };
  const server = isTextLines(options)
    ? createTcpServer<string, string>({
        ...LINE_SERVER_TUNING,
        ...options.tcp,
        ...secure,
        codec: options.codec,
        service: verbose ? logPayloads(options.service, options.exercise, log) : options.service,
        host,
        port,
        onEvent,
      })
    : createTcpServer<In, Out>({
        ...options.tcp,
        ...secure,
        codec: options.codec,
        service: verbose ? logPayloads(options.service, options.exercise, log) : options.service,
        host,
        port,
        onEvent,
      });
  return announce('tcp', server, options, tls === undefined ? '' : describeServerTls(tls));
}
