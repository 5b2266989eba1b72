/**
 * One UDP peer session (internal to `createUdpServer`): datagram glue around the service
 * contract's session driver. Replies and `ctx.send` go to the peer's address as one datagram
 * each; there is nothing to coalesce and no flow to control (a datagram socket cannot push back),
 * so those outputs are no-ops. Methods live on the prototype: a server holds thousands of peers.
 */
import { type CloseMode, type CloseReason, type Peer, SessionDriver, type SessionDriverOptions, type SessionFailure, type SessionHost } from '@netlab/service';
import { UdpError, messageOf } from './errors.js';
import type { TableEntry } from './session-table.js';

/** What a session needs from its server (one object per server). */
export interface UdpSessionServer<In, Out> {
  readonly driver: SessionDriverOptions<In, Out>;
  now(): number;
  /** Encodes and sends one message to `peer`; false when it could not be encoded. */
  send(message: Out, peer: Peer): boolean;
  onClosed(session: UdpSession<In, Out>, reason: CloseReason): void;
  onError(peer: Peer, error: UdpError): void;
  onLog(peer: Peer, message: string): void;
}

export class UdpSession<In, Out> implements SessionHost<Out>, TableEntry {
  readonly driver: SessionDriver<In, Out>;
  lastSeen: number;

  constructor(
    readonly key: string,
    peer: Peer,
    private readonly server: UdpSessionServer<In, Out>,
  ) {
    this.lastSeen = server.now();
    this.driver = new SessionDriver(server.driver, peer, this);
  }

  get busy(): boolean {
    return this.driver.busy;
  }

  write(message: Out): boolean {
    return this.server.send(message, this.driver.peer);
  }

  flush(): void {
    // One datagram per message: written as sent.
  }

  flowChanged(): void {
    // A datagram socket has no flow to pause; the server drops what a busy session cannot queue.
  }

  closed(reason: CloseReason, _mode: CloseMode): void {
    this.server.onClosed(this, reason);
  }

  failure(failure: SessionFailure): UdpError {
    const peer = this.driver.peer;
    if (failure.kind === 'close') {
      return new UdpError('ERR_SESSION_FAILED', `session close threw on ${peer.id}: ${messageOf(failure.cause)}`, { reason: 'close', cause: failure.cause });
    }
    return new UdpError('ERR_SESSION_FAILED', `service ${this.server.driver.service.name} failed on ${peer.id}: ${messageOf(failure.cause)}`, {
      reason: failure.kind === 'open' ? 'open' : 'read',
      cause: failure.cause,
    });
  }

  report(error: Error): void {
    this.server.onError(this.driver.peer, error instanceof UdpError ? error : new UdpError('ERR_SOCKET', error.message, { cause: error }));
  }

  log(message: string): void {
    this.server.onLog(this.driver.peer, message);
  }

  now(): number {
    return this.server.now();
  }
}
