/**
 * A raw UDP peer: one socket aimed at the target, datagrams sent exactly as given, replies
 * compared as text. A reply may end in one `\n` or `\r\n`, which is dropped before comparing
 * (docs/protocols/udp-hello.md: "a reply may end in a newline").
 *
 * At most `maxQueuedDatagrams` unread replies are kept; older ones are dropped first.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { type WireFlow, type WireTap, processWireTap, wireEndpoint } from '@netlab/ground';
import { CaseFailure } from './errors.js';
import { showBytes, showExpectation } from './escape.js';

/** Unread datagrams a probe keeps: 1000. */
export const DEFAULT_PROBE_MAX_QUEUED_DATAGRAMS = 1000;

export interface UdpProbeOptions {
  readonly host: string;
  readonly port: number;
  /** Name in failure messages. Default `client`. */
  readonly name?: string;
  /** Default wait of an expectation, ms. Required (the runner passes the scaled reply timeout). */
  readonly timeoutMs: number;
  /** Unread datagrams kept. Default {@link DEFAULT_PROBE_MAX_QUEUED_DATAGRAMS}. */
  readonly maxQueuedDatagrams?: number;
  /** Records every datagram (`netlab check --trace`). Default: the process tap (`@netlab/ground`), if set. */
  readonly tap?: WireTap;
}

export interface UdpProbe {
  readonly name: string;
  /** Sends one datagram. */
  send(data: string | Uint8Array): Promise<void>;
  /** The next datagram must equal `expected` (or match it), after dropping one trailing newline. */
  expectDatagram(expected: string | RegExp, options?: { readonly timeoutMs?: number }): Promise<string>;
  /** The next datagram's text, or `undefined` if none arrives within the time. */
  nextDatagram(timeoutMs?: number): Promise<string | undefined>;
  /**
   * Sends `data` and waits for a reply matching `expected`, resending after each `timeoutMs`
   * up to `attempts` times in all (a lossy path). Non-matching replies fail the case.
   */
  request(data: string, expected: string | RegExp, options: { readonly attempts: number; readonly timeoutMs?: number }): Promise<string>;
  close(): Promise<void>;
}

/** The datagram's text with one trailing `\n` / `\r\n` dropped, or `undefined` if not UTF-8. */
export function datagramText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

class Probe implements UdpProbe {
  readonly name: string;
  private readonly queue: Buffer[] = [];
  private readonly waiters = new Set<() => void>();
  private lastSent: Buffer | undefined;
  private readonly flow: WireFlow | undefined;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly options: UdpProbeOptions,
  ) {
    this.name = options.name ?? 'client';
    const tap = options.tap ?? processWireTap();
    const local = socket.address();
    // The probe sends to the target's address as given; a name (`localhost`) is recorded as the loopback it binds to.
    const remote = isIP(options.host) === 0 ? local.address : options.host;
    this.flow = tap?.flow({ transport: 'udp', local: wireEndpoint(local.address, local.port), remote: wireEndpoint(remote, options.port), initiator: 'local' });
    const flow = this.flow;
    const max = options.maxQueuedDatagrams ?? DEFAULT_PROBE_MAX_QUEUED_DATAGRAMS;
    socket.on('message', (message: Buffer) => {
      flow?.data('in', message);
      this.queue.push(message);
      if (this.queue.length > max) this.queue.shift();
      for (const waiter of [...this.waiters]) waiter();
    });
    // ICMP port unreachable and friends: the reply simply does not come.
    socket.on('error', () => undefined);
  }

  send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    this.lastSent = bytes;
    this.flow?.data('out', bytes);
    return new Promise((resolve) => {
      this.socket.send(bytes, this.options.port, this.options.host, () => {
        resolve();
      });
    });
  }

  private next(timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const check = (): void => {
        const message = this.queue.shift();
        if (message === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(message);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private sentText(): string {
    return this.lastSent === undefined ? '' : `sent ${showBytes(this.lastSent)}; `;
  }

  private judge(message: Buffer, expected: string | RegExp): string {
    const text = datagramText(message);
    const ok = text !== undefined && (typeof expected === 'string' ? text === expected : expected.test(text));
    if (!ok) throw new CaseFailure(`${this.name}: ${this.sentText()}expected a datagram ${showExpectation(expected)}; got ${showBytes(message)}${text === undefined ? ' (not UTF-8)' : ''}`);
    return text;
  }

  async expectDatagram(expected: string | RegExp, options: { readonly timeoutMs?: number } = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const message = await this.next(timeoutMs);
    if (message === undefined) throw new CaseFailure(`${this.name}: ${this.sentText()}expected a datagram ${showExpectation(expected)}; got nothing within ${timeoutMs} ms`);
    return this.judge(message, expected);
  }

  async nextDatagram(timeoutMs: number = this.options.timeoutMs): Promise<string | undefined> {
    const message = await this.next(timeoutMs);
    return message === undefined ? undefined : (datagramText(message) ?? message.toString('latin1'));
  }

  async request(data: string, expected: string | RegExp, options: { readonly attempts: number; readonly timeoutMs?: number }): Promise<string> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    for (let attempt = 1; attempt <= options.attempts; attempt++) {
      await this.send(data);
      const message = await this.next(timeoutMs);
      if (message !== undefined) return this.judge(message, expected);
    }
    throw new CaseFailure(`${this.name}: sent ${showBytes(data)} ${options.attempts} times; expected a datagram ${showExpectation(expected)}; got no reply to any (${timeoutMs} ms each)`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => {
          resolve();
        });
      } catch {
        resolve();
      }
    });
  }
}

/** Opens a UDP socket (IPv4 or IPv6 by the target's address) bound to an ephemeral port. */
export async function openUdpProbe(options: UdpProbeOptions): Promise<UdpProbe> {
  const socket = dgram.createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, options.host.includes(':') ? '::1' : '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return new Probe(socket, options);
}
