/**
 * A UDP client: send with a timeout and a retry count, and match replies to requests.
 *
 * The socket is connected to the server (`connect(2)`), so the kernel delivers only datagrams
 * from the server's address and port, and a "port unreachable" answer becomes
 * `ERR_CONNECTION_REFUSED` ("no server at udp 127.0.0.1:5000").
 *
 * Correlation rule:
 * - With `correlate` (structured protocols): each request carries an id (`correlate.request`),
 *   each reply names one (`correlate.reply`); any number of requests may be outstanding and a
 *   reply answers the request with its id. Replies with an unknown id (duplicates, replies to
 *   requests that gave up) are counted in `stats().stray` and dropped.
 * - Without it (plain text): one request is outstanding at a time per client (further requests
 *   wait their turn, FIFO), and the first datagram from the server answers it. A request sent
 *   n times may draw up to n replies, so after it settles the client waits (quarantine) until
 *   the n − 1 other replies (n if it timed out) have arrived, or n × `timeoutMs` has passed,
 *   before sending the next request; datagrams arriving in that window are late duplicates and
 *   are dropped (`stats().lateReplies`). A retransmission's reply is thus never taken for the
 *   next request's, whether the request or the reply was lost, at the cost of latency only after
 *   a retransmission. Datagrams arriving when no request is outstanding count as `stray`.
 *
 * Retries: a request is sent up to `retries + 1` times, `timeoutMs` apart, then fails with
 * `ERR_REQUEST_TIMEOUT`. Only retry requests that are safe to repeat (or carry an id the server
 * deduplicates: see `@netlab/request-log`).
 */
import type { Socket } from 'node:dgram';
import { DEFAULT_HOST, MAX_TIMER_MS, type WireFlow, formatHostPort, processWireTap } from '@netlab/ground';
import { UdpError, assertIntegerOption, fromSocketError, messageOf } from './errors.js';
import { type CorrelationId, type UdpClientOptions, type UdpClientSettings, type UdpClientStats, type UdpRequestOptions, resolveUdpClientSettings } from './udp-client-options.js';
import { type UdpAddress, udpAddressOf } from './udp-address.js';
import { connectDatagramSocket, datagramFlow } from './udp-socket.js';

export interface UdpClient<In, Out> {
  readonly localAddress: UdpAddress;
  readonly remoteAddress: UdpAddress;
  /** Sends `message` and resolves with its reply (see the correlation rule). */
  request(message: Out, options?: UdpRequestOptions): Promise<In>;
  /** Sends one datagram, expecting nothing back. */
  send(message: Out): void;
  stats(): UdpClientStats;
  /** Closes the socket; outstanding requests fail with `ERR_CONNECTION_CLOSED`. */
  close(): Promise<void>;
}

interface Pending<In, Out> {
  readonly message: Out;
  readonly bytes: Uint8Array;
  readonly id: CorrelationId | undefined;
  readonly timeoutMs: number;
  readonly attempts: number;
  sent: number;
  timer: unknown;
  resolve(message: In): void;
  reject(error: Error): void;
}

class Client<In, Out> implements UdpClient<In, Out> {
  readonly localAddress: UdpAddress;
  readonly remoteAddress: UdpAddress;
  private readonly byId = new Map<CorrelationId, Pending<In, Out>>();
  private readonly line: Pending<In, Out>[] = [];
  private active: Pending<In, Out> | undefined;
  private lateExpected = 0;
  private lateUntil = 0;
  private quarantine: unknown;
  private closed = false;
  private readonly counters = { datagramsIn: 0, datagramsOut: 0, replies: 0, retransmissions: 0, timeouts: 0, lateReplies: 0, stray: 0, malformed: 0 };

  constructor(
    private readonly socket: Socket,
    private readonly options: UdpClientOptions<In, Out>,
    private readonly settings: UdpClientSettings,
    private readonly where: string,
    private readonly flow: WireFlow | undefined,
  ) {
    this.localAddress = udpAddressOf(socket.address());
    this.remoteAddress = udpAddressOf(socket.remoteAddress());
    socket.on('message', (datagram) => {
      this.onDatagram(datagram);
    });
    socket.on('error', (error) => {
      this.onError(fromSocketError(error, this.remoteAddress.host, this.remoteAddress.port, 'read'));
    });
  }

  stats(): UdpClientStats {
    return { ...this.counters };
  }

  send(message: Out): void {
    this.transmit(this.encode(message), message);
  }

  request(message: Out, requestOptions: UdpRequestOptions = {}): Promise<In> {
    try {
      const timeoutMs = requestOptions.timeoutMs ?? this.settings.timeoutMs;
      const retries = requestOptions.retries ?? this.settings.retries;
      assertIntegerOption('timeoutMs', timeoutMs, 1, MAX_TIMER_MS);
      assertIntegerOption('retries', retries, 0, 1000);
      if (this.closed) throw new UdpError('ERR_CONNECTION_CLOSED', `client for udp ${this.where} is closed`, { reason: 'write' });
      const outstanding = this.byId.size + this.line.length + (this.active === undefined ? 0 : 1);
      if (outstanding >= this.settings.maxPendingRequests) {
        throw new UdpError('ERR_TOO_MANY_PENDING', `${outstanding} requests already pending on udp ${this.where}`, {
          reason: 'write',
          details: { maxPendingRequests: this.settings.maxPendingRequests },
        });
      }
      const bytes = this.encode(message);
      const id = this.options.correlate?.request(message);
      if (id !== undefined && this.byId.has(id)) {
        throw new UdpError('ERR_DUPLICATE_REQUEST_ID', `request id ${String(id)} is already outstanding`, { reason: 'write', details: { id } });
      }
      return new Promise<In>((resolve, reject) => {
        const pending: Pending<In, Out> = { message, bytes, id, timeoutMs, attempts: retries + 1, sent: 0, timer: undefined, resolve, reject };
        if (id !== undefined) {
          this.byId.set(id, pending);
          this.attempt(pending);
        } else {
          this.line.push(pending);
          this.next();
        }
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.failAll(new UdpError('ERR_CONNECTION_CLOSED', `client for udp ${this.where} closed`, { reason: 'close' }));
    return new Promise((resolve) => {
      this.socket.close(() => {
        resolve();
      });
    });
  }

  private encode(message: Out): Uint8Array {
    try {
      return this.options.codec.encode(message);
    } catch (error) {
      throw new UdpError('ERR_ENCODE', `cannot encode a request for udp ${this.where}: ${messageOf(error)}`, {
        reason: 'write',
        cause: error,
      });
    }
  }

  private transmit(bytes: Uint8Array, message: Out): void {
    if (this.closed) throw new UdpError('ERR_CONNECTION_CLOSED', `client for udp ${this.where} is closed`, { reason: 'write' });
    this.counters.datagramsOut += 1;
    this.flow?.data('out', bytes, [message]);
    this.socket.send(bytes);
  }

  /** Plain-text rule: start the next waiting request when none is outstanding. */
  private next(): void {
    if (this.active !== undefined || this.quarantine !== undefined || this.closed) return;
    const pending = this.line.shift();
    if (pending === undefined) return;
    this.active = pending;
    this.attempt(pending);
  }

  private attempt(pending: Pending<In, Out>): void {
    if (pending.sent > 0) this.counters.retransmissions += 1;
    pending.sent += 1;
    this.transmit(pending.bytes, pending.message);
    pending.timer = this.settings.clock.setTimeout(() => {
      this.onTimeout(pending);
    }, pending.timeoutMs);
  }

  private onTimeout(pending: Pending<In, Out>): void {
    if (this.closed) return;
    if (pending.sent < pending.attempts) {
      this.attempt(pending);
      return;
    }
    this.counters.timeouts += 1;
    this.settle(pending);
    pending.reject(
      new UdpError('ERR_REQUEST_TIMEOUT', `no reply from udp ${this.where} after ${pending.sent} attempts (${pending.timeoutMs} ms each)`, {
        reason: 'read',
        details: { attempts: pending.sent, timeoutMs: pending.timeoutMs },
      }),
    );
  }

  /** Removes `pending` from the books; under the plain rule, expects its late duplicates. */
  private settle(pending: Pending<In, Out>, answered = false): void {
    this.settings.clock.clearTimeout(pending.timer);
    if (pending.id !== undefined) {
      this.byId.delete(pending.id);
      return;
    }
    if (this.active === pending) this.active = undefined;
    const late = pending.sent - (answered ? 1 : 0);
    if (late > 0) {
      const window = pending.sent * pending.timeoutMs;
      this.lateExpected = late;
      this.lateUntil = this.settings.clock.now() + window;
      this.quarantine = this.settings.clock.setTimeout(() => {
        this.endQuarantine();
      }, window);
      return;
    }
    this.next();
  }

  private endQuarantine(): void {
    if (this.quarantine !== undefined) this.settings.clock.clearTimeout(this.quarantine);
    this.quarantine = undefined;
    this.lateExpected = 0;
    this.next();
  }

  private onDatagram(datagram: Buffer): void {
    this.counters.datagramsIn += 1;
    let message: In;
    try {
      message = this.options.codec.decode(datagram);
    } catch {
      this.counters.malformed += 1;
      this.flow?.data('in', datagram);
      return;
    }
    this.flow?.data('in', datagram, [message]);
    const correlate = this.options.correlate;
    if (correlate !== undefined) {
      const id = correlate.reply(message);
      const pending = id === undefined ? undefined : this.byId.get(id);
      if (pending === undefined) {
        this.counters.stray += 1;
        return;
      }
      this.answer(pending, message);
      return;
    }
    if (this.lateExpected > 0) {
      if (this.settings.clock.now() <= this.lateUntil) {
        this.lateExpected -= 1;
        this.counters.lateReplies += 1;
        if (this.lateExpected === 0) this.endQuarantine();
        return;
      }
      this.endQuarantine();
    }
    const active = this.active;
    if (active === undefined) {
      this.counters.stray += 1;
      return;
    }
    this.answer(active, message);
  }

  private answer(pending: Pending<In, Out>, message: In): void {
    this.counters.replies += 1;
    this.settle(pending, true);
    pending.resolve(message);
  }

  private onError(error: UdpError): void {
    // On a connected socket, errors are about the server: fail what is outstanding, keep the socket.
    const outstanding = [...this.byId.values(), ...(this.active === undefined ? [] : [this.active])];
    for (const pending of outstanding) {
      this.settings.clock.clearTimeout(pending.timer);
      this.byId.delete(pending.id ?? '');
      if (this.active === pending) this.active = undefined;
      pending.reject(error);
    }
    this.next();
  }

  private failAll(error: UdpError): void {
    for (const pending of [...this.byId.values(), ...(this.active === undefined ? [] : [this.active]), ...this.line]) {
      this.settings.clock.clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.byId.clear();
    this.line.length = 0;
    if (this.quarantine !== undefined) this.settings.clock.clearTimeout(this.quarantine);
    this.quarantine = undefined;
    this.active = undefined;
  }
}

/**
 * Creates a UDP client bound to an ephemeral port and connected to the server. Resolves once the
 * socket is ready; rejects with `ERR_HOST_NOT_FOUND` or `ERR_SOCKET`.
 */
export function createUdpClient<In, Out>(options: UdpClientOptions<In, Out>): Promise<UdpClient<In, Out>> {
  const host = options.host ?? DEFAULT_HOST;
  let settings: UdpClientSettings;
  try {
    settings = resolveUdpClientSettings(options);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  const where = formatHostPort(host, options.port);
  return connectDatagramSocket(host, options.port).then((socket) => new Client(socket, options, settings, where, datagramFlow(socket, options.tap ?? processWireTap())));
}
