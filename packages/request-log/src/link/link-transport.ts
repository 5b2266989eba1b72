/**
 * What the client link needs from a transport: send one envelope to endpoint `index` (false when
 * there is no connection or socket to send it on yet), and three callbacks back. Both transports
 * keep one connection or socket per endpoint, made at once and kept for the link's life, so a
 * failover is a change of index, not a new connect.
 */
import type { TcpError } from '@netlab/transport-tcp';
import type { ReplyEnvelope, RequestEnvelope } from '../core/messages.js';

/** Where a server (or a replica) listens. */
export interface LinkEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface LinkTransportHooks {
  /** A reply arrived from endpoint `index` (decoded, well-formed). */
  receive(reply: ReplyEnvelope, index: number): void;
  /** Endpoint `index` can carry requests now (connected, reconnected, socket ready). */
  ready(index: number): void;
  /** Endpoint `index` lost its connection (TCP only: UDP has none to lose). */
  lost(index: number): void;
}

export interface LinkTransport {
  /** Sends one envelope to endpoint `index`; false when it cannot carry one now (not sent). */
  send(index: number, request: RequestEnvelope): boolean;
  /** The last failure to connect (TCP: a refused TLS certificate says why here), or undefined. */
  connectError?(): TcpError | undefined;
  /** Closes every connection or socket. */
  close(): Promise<void>;
}
