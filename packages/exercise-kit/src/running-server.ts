/**
 * What `serveTcp` / `serveUdp` return, and the output contract they keep:
 *
 * - stdout gets exactly one line, once bound: `<exercise> listening on <tcp|udp>://HOST:PORT`
 *   with the real port (scripts and the tour parse it);
 * - every connection, request, close and error is logged to stderr, one line each;
 * - SIGINT / SIGTERM close the server gracefully and exit 0 (unless `handleSignals` is false).
 */
import { formatUrl, onShutdown } from '@netlab/cli-kit';
import { DEFAULT_HOST, formatHostPort } from '@netlab/ground';
import type { Peer } from '@netlab/service';
import { toListenError } from './errors.js';

/** A server that is listening. */
export interface RunningServer {
  readonly transport: 'tcp' | 'udp' | 'ws';
  readonly host: string;
  /** The real port (never 0). */
  readonly port: number;
  /** `tcp://127.0.0.1:7102` */
  readonly url: string;
  /** Graceful stop; idempotent. */
  close(): Promise<void>;
}

/** Output hooks and lifecycle shared by both transports. */
export interface ServeCommonOptions {
  /** The exercise name printed in the startup line and log lines. Required. */
  readonly exercise: string;
  /** Address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Stop on SIGINT/SIGTERM and exit 0. Default true; tests running in-process turn it off. */
  readonly handleSignals?: boolean;
  /** How long connections may finish on shutdown, in ms. Default {@link DEFAULT_SHUTDOWN_GRACE_MS}. */
  readonly graceMs?: number;
  /** Writes the startup line. Default: to stdout. */
  readonly write?: (line: string) => void;
  /** Writes log lines. Default: to stderr. */
  readonly log?: (line: string) => void;
  /** Also log every message received and sent (see `payload-log.ts`). Default: on after `server --verbose` or with NETLAB_VERBOSE=1. */
  readonly verbose?: boolean;
}

/** Shutdown grace: long enough for a reply in flight, short enough for Ctrl-C to feel instant. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 2000;

export const writeStdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export const writeStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** `127.0.0.1:53122` for logs. */
export function peerLabel(peer: Peer): string {
  return formatHostPort(peer.address, peer.port);
}

/** The part of a transport server that `announce` drives. */
export interface ListenableServer {
  listen(): Promise<{ readonly host: string; readonly port: number }>;
  close(options: { readonly graceMs: number }): Promise<void>;
}

/**
 * Binds `server`, installs the signal handlers, then prints the startup line (with `note` after
 * the URL: the TLS certificate): the lifecycle both `serveTcp` and `serveUdp` keep. Rejects with
 * `ERR_LISTEN` when the address cannot be bound.
 */
export async function announce(transport: 'tcp' | 'udp' | 'ws', server: ListenableServer, options: ServeCommonOptions, note = ''): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? 0;
  const log = options.log ?? writeStderr;
  let address;
  try {
    address = await server.listen();
  } catch (error) {
    throw toListenError(error, transport, host, port);
  }
  const url = formatUrl(transport, address.host, address.port);
  const graceMs = options.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const close = async (): Promise<void> => {
    await server.close({ graceMs });
  };
  if (options.handleSignals ?? true) {
    onShutdown(async (signal) => {
      log(`${options.exercise}: ${signal}, stopping`);
      await close();
      log(`${options.exercise}: stopped`);
    });
  }
  // Announce only once a signal can no longer kill the process mid-way: scripts send one right after the line.
  (options.write ?? writeStdout)(`${options.exercise} listening on ${url}${note}`);
  return { transport, host: address.host, port: address.port, url, close };
}
