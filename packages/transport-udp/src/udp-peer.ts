/**
 * A plain datagram peer: `send(message)` and `for await` over what arrives, nothing more. No
 * retries, no correlation, no timeouts of its own: for protocols that retransmit and match replies
 * themselves (the exactly-once client of `@netlab/request-log`), which `createUdpClient` cannot
 * carry because it owns retries and drops what it cannot match.
 *
 * Wire format: one message per datagram, at most `codec.maxDatagramBytes` bytes both ways (the
 * same codec and limits as the server). The socket is connected to the server (`connect(2)`), so
 * the kernel delivers only datagrams from the server's address and port, and an ICMP "port
 * unreachable" becomes `ERR_CONNECTION_REFUSED`.
 *
 * Invariants:
 * - Received messages are yielded in arrival order, each with its source address.
 * - At most `maxQueuedDatagrams` received messages wait for the iterator; more are dropped and
 *   counted (`stats().dropped`): a datagram socket cannot push back, so memory is bounded by
 *   dropping, as the network would.
 * - A datagram the codec rejects is dropped and counted (`stats().malformed`, `onMalformed`),
 *   never yielded: the iterator yields only well-formed messages.
 * - "Port unreachable" does not close the peer (a server may come back): it rejects the pending
 *   `next()` (or the next one) with `ERR_CONNECTION_REFUSED` once per report; iterate again to
 *   go on. `close()` ends iteration (`done`) and fails nothing else.
 */
import type { Socket } from 'node:dgram';
import type { DatagramCodec } from '@netlab/codec';
import { DEFAULT_HOST, type WireFlow, type WireTap, formatHostPort, processWireTap } from '@netlab/ground';
import { UdpError, assertIntegerOption, fromSocketError, messageOf } from './errors.js';
import { type UdpAddress, udpAddressOf } from './udp-address.js';
import { connectDatagramSocket, datagramFlow } from './udp-socket.js';

/** Default received messages held for the iterator before new ones are dropped: 1024. */
export const DEFAULT_PEER_MAX_QUEUED_DATAGRAMS = 1024;

export interface ConnectUdpOptions<In, Out> {
  /** Message codec and datagram size limit (the server's). Required. */
  readonly codec: DatagramCodec<In, Out>;
  /** Server port. Required. */
  readonly port: number;
  /** Server host (`::1` for IPv6). Default `DEFAULT_HOST` (127.0.0.1). */
  readonly host?: string;
  /** Received messages held for the iterator; more are dropped. Default {@link DEFAULT_PEER_MAX_QUEUED_DATAGRAMS}. */
  readonly maxQueuedDatagrams?: number;
  /** Called for each datagram the codec rejected (it is dropped). Default: none. */
  readonly onMalformed?: (error: UdpError, from: UdpAddress) => void;
  /** Reports every datagram sent and received (`--trace`). Default: the process tap (`@netlab/ground`), if set. */
  readonly tap?: WireTap;
}

/** One message received, with where it came from. */
export interface UdpDatagram<In> {
  readonly message: In;
  readonly from: UdpAddress;
}

export interface UdpPeerStats {
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  /** Datagrams the codec rejected (dropped). */
  readonly malformed: number;
  /** Well-formed messages dropped because `maxQueuedDatagrams` were waiting. */
  readonly dropped: number;
  /** "Port unreachable" reports (`ERR_CONNECTION_REFUSED`). */
  readonly refused: number;
}

export interface UdpPeer<In, Out> extends AsyncIterable<UdpDatagram<In>> {
  readonly localAddress: UdpAddress;
  readonly remoteAddress: UdpAddress;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** Sends one message as one datagram. Throws `ERR_ENCODE` (too large, refused by the codec) or `ERR_CONNECTION_CLOSED`. */
  send(message: Out): void;
  stats(): UdpPeerStats;
  /** Closes the socket; iteration ends. Idempotent. */
  close(): Promise<void>;
}

interface Waiter<In> {
  resolve(result: IteratorResult<UdpDatagram<In>>): void;
  reject(error: Error): void;
}

class Peer<In, Out> implements UdpPeer<In, Out> {
  readonly localAddress: UdpAddress;
  readonly remoteAddress: UdpAddress;
  private readonly inbox: UdpDatagram<In>[] = [];
  private inboxHead = 0;
  private readonly waiters: Waiter<In>[] = [];
  private refusal: UdpError | undefined;
  private isClosed = false;
  private readonly counters = { datagramsIn: 0, datagramsOut: 0, malformed: 0, dropped: 0, refused: 0 };

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectUdpOptions<In, Out>,
    private readonly maxQueued: number,
    private readonly where: string,
    private readonly flow: WireFlow | undefined,
  ) {
    this.localAddress = udpAddressOf(socket.address());
    this.remoteAddress = udpAddressOf(socket.remoteAddress());
    socket.on('message', (datagram, rinfo) => {
      this.onDatagram(datagram, udpAddressOf(rinfo));
    });
    socket.on('error', (error) => {
      this.onError(fromSocketError(error, this.remoteAddress.host, this.remoteAddress.port, 'read'));
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  stats(): UdpPeerStats {
    return { ...this.counters };
  }

  send(message: Out): void {
    if (this.isClosed) throw new UdpError('ERR_CONNECTION_CLOSED', `peer of udp ${this.where} is closed`, { reason: 'write' });
    let bytes: Uint8Array;
    try {
      bytes = this.options.codec.encode(message);
    } catch (error) {
      throw new UdpError('ERR_ENCODE', `cannot encode a message for udp ${this.where}: ${messageOf(error)}`, { reason: 'write', cause: error });
    }
    this.counters.datagramsOut += 1;
    this.flow?.data('out', bytes, [message]);
    this.socket.send(bytes);
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.socket.close(() => {
        resolve();
      });
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<UdpDatagram<In>> {
    return {
      next: () => this.next(),
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  }

  private next(): Promise<IteratorResult<UdpDatagram<In>>> {
    const queued = this.shift();
    if (queued !== undefined) return Promise.resolve({ done: false, value: queued });
    const refusal = this.refusal;
    if (refusal !== undefined) {
      this.refusal = undefined;
      return Promise.reject(refusal);
    }
    if (this.isClosed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
  }

  private shift(): UdpDatagram<In> | undefined {
    const datagram = this.inbox[this.inboxHead];
    if (datagram === undefined) return undefined;
    this.inboxHead += 1;
    if (this.inboxHead >= this.inbox.length) {
      this.inbox.length = 0;
      this.inboxHead = 0;
    }
    return datagram;
  }

  private onDatagram(bytes: Buffer, from: UdpAddress): void {
    this.counters.datagramsIn += 1;
    let message: In;
    try {
      message = this.options.codec.decode(bytes);
    } catch (error) {
      this.counters.malformed += 1;
      this.flow?.data('in', bytes);
      this.options.onMalformed?.(new UdpError('ERR_MALFORMED_INPUT', `malformed datagram from udp ${formatHostPort(from.host, from.port)}: ${messageOf(error)}`, { cause: error }), from);
      return;
    }
    this.flow?.data('in', bytes, [message]);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ done: false, value: { message, from } });
      return;
    }
    if (this.inbox.length - this.inboxHead >= this.maxQueued) {
      this.counters.dropped += 1;
      return;
    }
    this.inbox.push({ message, from });
  }

  private onError(error: UdpError): void {
    // On a connected socket, errors are about the server: report, keep the socket.
    if (error.code === 'ERR_CONNECTION_REFUSED') this.counters.refused += 1;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.reject(error);
    else this.refusal = error;
  }
}

/**
 * Opens a datagram peer bound to an ephemeral port and connected to the server. Resolves once the
 * socket is ready; rejects with `ERR_HOST_NOT_FOUND`, `ERR_INVALID_OPTION` or `ERR_SOCKET`.
 */
export function connectUdp<In, Out>(options: ConnectUdpOptions<In, Out>): Promise<UdpPeer<In, Out>> {
  const host = options.host ?? DEFAULT_HOST;
  const maxQueued = options.maxQueuedDatagrams ?? DEFAULT_PEER_MAX_QUEUED_DATAGRAMS;
  try {
    assertIntegerOption('port', options.port, 1, 65_535);
    assertIntegerOption('maxQueuedDatagrams', maxQueued, 0, 1_000_000);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  const where = formatHostPort(host, options.port);
  return connectDatagramSocket(host, options.port).then((socket) => new Peer(socket, options, maxQueued, where, datagramFlow(socket, options.tap ?? processWireTap())));
}
