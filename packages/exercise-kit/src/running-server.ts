/**
 * What `serveTcp` / `serveUdp` return, and the output contract they keep:
 *
 * - stdout gets exactly one line, once bound: `<exercise> listening on <tcp|udp>://HOST:PORT`
 *   with the real port (scripts and the tour parse it);
 * - every connection, request, close and error is logged to stderr, one line each;
 * - SIGINT / SIGTERM close the server gracefully and exit 0 (unless `handleSignals` is false).
 */
import type { Peer } from '@netlab/service';

/** A server that is listening. */
export interface RunningServer {
  readonly transport: 'tcp' | 'udp';
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
  return peer.address.includes(':') ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}
