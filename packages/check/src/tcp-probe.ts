/**
 * A raw TCP peer that drives a target the way a lab client or `nc` does, and turns every
 * expectation into a bounded wait with a precise failure message.
 *
 * Reading: bytes are split into lines at LF; one CR before the LF is dropped (a server may
 * answer `\r\n`); a line is compared after strict UTF-8 decoding (bytes that are not UTF-8 never
 * match). At most `maxBufferedBytes` unread bytes are kept: past that the connection is dropped
 * and the next expectation fails.
 *
 * Failure messages say what was sent since the previous expectation, what was expected and what
 * came back (escaped, truncated): `a: sent "hi\n"; expected "hi"; got "HI"`.
 */
import net from 'node:net';
import { type WireFlow, type WireTap, processWireTap, wireEndpoint } from '@netlab/ground';
import { CaseFailure, CheckError } from './errors.js';
import { showBytes, showExpectation } from './escape.js';

/** Unread bytes a probe keeps before it gives up on the peer: 1 MiB. */
export const DEFAULT_PROBE_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Connect timeout of a probe, ms (already scaled by the caller). */
export const DEFAULT_PROBE_CONNECT_TIMEOUT_MS = 5000;

export interface TcpProbeOptions {
  readonly host: string;
  readonly port: number;
  /** Name in failure messages (`a`, `client 3`). Default `client`. */
  readonly name?: string;
  /** Default wait of an expectation, ms. Required (the runner passes the scaled reply timeout). */
  readonly timeoutMs: number;
  /** Connect timeout, ms. Default {@link DEFAULT_PROBE_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** Unread bytes kept. Default {@link DEFAULT_PROBE_MAX_BUFFERED_BYTES}. */
  readonly maxBufferedBytes?: number;
  /** Records the probe's connection (`netlab check --trace`). Default: the process tap (`@netlab/ground`), if set. */
  readonly tap?: WireTap;
}

export interface ExpectOptions {
  /** Wait at most this long, ms. Default: the probe's timeout. */
  readonly timeoutMs?: number;
  /** Lines matching this are passed over (a chat room's join and leave lines). Default: none. */
  readonly skip?: RegExp;
}

export interface TcpProbe {
  readonly name: string;
  /** Writes bytes or UTF-8 text exactly as given, as one write; resolves once handed to the kernel. */
  send(data: string | Uint8Array): Promise<void>;
  /**
   * Writes `data` in pieces of `pieceBytes`, waiting `gapMs` between them (separate TCP segments
   * on loopback). Resolves with the longest gap that really passed between two pieces, ms: on a
   * busy machine timers fire late, and a gap past a server's quiet time splits the line legally.
   */
  sendInPieces(data: string | Uint8Array, pieceBytes: number, gapMs: number): Promise<number>;
  /** Writes each of `pieces` with `gapMs` between them; resolves with the longest real gap, ms. */
  sendPieces(pieces: readonly Uint8Array[], gapMs: number): Promise<number>;
  /** The next line must equal `expected` (or match it); resolves with the line. */
  expectLine(expected: string | RegExp, options?: ExpectOptions): Promise<string>;
  /** The next line, or `undefined` when the peer closed first; fails on timeout. */
  nextLine(options?: ExpectOptions): Promise<string | undefined>;
  /** The peer must close the connection (EOF or reset) with no further line. */
  expectClosed(options?: ExpectOptions & { readonly ignoreLines?: boolean }): Promise<void>;
  /** True once the peer closed or reset the connection. */
  readonly closed: boolean;
  /** Half-closes our side (FIN), like `nc -N` at the end of its input. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
}

const LF = 0x0a;
const CR = 0x0d;

class Probe implements TcpProbe {
  readonly name: string;
  private readonly socket: net.Socket;
  private readonly timeoutMs: number;
  private readonly maxBufferedBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly lines: Buffer[] = [];
  private sentSinceExpect: Buffer[] = [];
  private endReason: string | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly flow: WireFlow | undefined;

  constructor(socket: net.Socket, options: TcpProbeOptions, initiator: 'local' | 'remote') {
    this.socket = socket;
    const tap = options.tap ?? processWireTap();
    this.flow = tap?.flow({
      transport: 'tcp',
      local: wireEndpoint(socket.localAddress, socket.localPort),
      remote: wireEndpoint(socket.remoteAddress, socket.remotePort),
      initiator,
    });
    this.flow?.open();
    const flow = this.flow;
    this.name = options.name ?? 'client';
    this.timeoutMs = options.timeoutMs;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_PROBE_MAX_BUFFERED_BYTES;
    socket.on('data', (chunk: Buffer) => {
      flow?.data('in', chunk);
      this.take(chunk);
    });
    socket.on('end', () => {
      flow?.end('in');
      this.finish('the server closed the connection');
    });
    socket.on('close', () => {
      flow?.close();
      this.finish('the connection closed');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') flow?.reset('in');
      this.finish(error.code === 'ECONNRESET' ? 'the server reset the connection (ECONNRESET)' : `the connection failed (${error.code ?? error.message})`);
    });
  }

  get closed(): boolean {
    return this.endReason !== undefined;
  }

  private take(chunk: Buffer): void {
    let start = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, start)) {
      this.pending.push(chunk.subarray(start, i));
      let line = Buffer.concat(this.pending);
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      this.lines.push(line);
      this.pending = [];
      this.pendingBytes = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
    }
    if (this.pendingBytes + this.lines.reduce((n, l) => n + l.length, 0) > this.maxBufferedBytes) {
      this.finish(`more than ${this.maxBufferedBytes} bytes arrived unread`);
      this.socket.destroy();
    }
    this.wake();
  }

  private finish(reason: string): void {
    this.endReason ??= reason;
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private sentText(): string {
    const sent = Buffer.concat(this.sentSinceExpect);
    this.sentSinceExpect = [];
    return sent.length === 0 ? '' : `sent ${showBytes(sent)}; `;
  }

  private partialText(): string {
    if (this.pendingBytes === 0) return '';
    return ` (a partial line without newline arrived: ${showBytes(Buffer.concat(this.pending))})`;
  }

  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    this.sentSinceExpect.push(bytes);
    if (this.endReason !== undefined) throw new CaseFailure(`${this.name}: could not send ${showBytes(bytes)}: ${this.endReason}`);
    this.flow?.data('out', bytes);
    await new Promise<void>((resolve) => {
      this.socket.write(bytes, () => {
        resolve();
      });
    });
  }

  sendInPieces(data: string | Uint8Array, pieceBytes: number, gapMs: number): Promise<number> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += pieceBytes) pieces.push(bytes.subarray(i, i + pieceBytes));
    return this.sendPieces(pieces, gapMs);
  }

  async sendPieces(pieces: readonly Uint8Array[], gapMs: number): Promise<number> {
    let slowest = 0;
    let last = 0;
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      const now = performance.now();
      if (i > 0) slowest = Math.max(slowest, now - last);
      last = now;
      await this.send(piece);
    }
    return Math.round(slowest);
  }

  private waitFor<T>(ready: () => T | undefined, timeoutMs: number, onTimeout: () => CaseFailure): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        let value: T | undefined;
        try {
          value = ready();
        } catch (error) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(onTimeout());
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async nextLine(options: ExpectOptions = {}): Promise<string | undefined> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const got = await this.waitFor<{ line: Buffer | undefined }>(
      () => {
        const line = this.lines.shift();
        if (line !== undefined) return { line };
        return this.endReason === undefined ? undefined : { line: undefined };
      },
      timeoutMs,
      () => new CaseFailure(`${this.name}: ${this.sentText()}expected a line; got nothing within ${timeoutMs} ms${this.partialText()}`),
    );
    return got.line === undefined ? undefined : decodeStrict(got.line) ?? got.line.toString('latin1');
  }

  async expectLine(expected: string | RegExp, options: ExpectOptions = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const want = showExpectation(expected);
    const got = await this.waitFor<{ line: Buffer | undefined }>(
      () => {
        let line = this.lines.shift();
        while (line !== undefined && options.skip?.test(decodeStrict(line) ?? '')) line = this.lines.shift();
        if (line !== undefined) return { line };
        return this.endReason === undefined ? undefined : { line: undefined };
      },
      timeoutMs,
      () => new CaseFailure(`${this.name}: ${this.sentText()}expected ${want}; got nothing within ${timeoutMs} ms${this.partialText()}`),
    );
    if (got.line === undefined) {
      throw new CaseFailure(`${this.name}: ${this.sentText()}expected ${want}; instead ${this.endReason ?? 'the connection closed'}${this.partialText()}`);
    }
    const text = decodeStrict(got.line);
    const matches = text !== undefined && (typeof expected === 'string' ? text === expected : expected.test(text));
    if (!matches) {
      throw new CaseFailure(`${this.name}: ${this.sentText()}expected ${want}; got ${showBytes(got.line)}${text === undefined ? ' (not UTF-8)' : ''}`);
    }
    this.sentSinceExpect = [];
    return text;
  }

  async expectClosed(options: ExpectOptions & { readonly ignoreLines?: boolean } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    await this.waitFor<true>(
      () => {
        if (options.ignoreLines === true) this.lines.length = 0;
        const line = this.lines[0];
        if (line !== undefined) {
          throw new CaseFailure(`${this.name}: ${this.sentText()}expected the server to close the connection; got ${showBytes(line)}`);
        }
        return this.endReason === undefined ? undefined : true;
      },
      timeoutMs,
      () => new CaseFailure(`${this.name}: ${this.sentText()}expected the server to close the connection; it stayed open for ${timeoutMs} ms${this.partialText()}`),
    );
    this.sentSinceExpect = [];
  }

  end(): void {
    this.socket.end();
    this.flow?.end('out');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Strict UTF-8 decoding: `undefined` for bytes that are not UTF-8. */
function decodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Wraps a connected socket (e.g. one a scripted server accepted) in the probe interface. */
export function wrapSocket(socket: net.Socket, options: Omit<TcpProbeOptions, 'host' | 'port'>): TcpProbe {
  socket.setNoDelay(true);
  return new Probe(socket, { ...options, host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, 'remote');
}

/** Connects a probe; a refused or timed-out connect is `ERR_TARGET_UNREACHABLE`. */
export function connectTcpProbe(options: TcpProbeOptions): Promise<TcpProbe> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_PROBE_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CheckError('ERR_TARGET_UNREACHABLE', `${options.name ?? 'client'}: could not connect to ${options.host}:${options.port} within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(new CheckError('ERR_TARGET_UNREACHABLE', `${options.name ?? 'client'}: could not connect to ${options.host}:${options.port} (${error.code ?? error.message})`, { cause: error }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(new Probe(socket, options, 'local'));
    });
  });
}
