/**
 * The TLS handshakes of a TCP server in progress (internal to `createTcpServer`): each accepted
 * socket is wrapped in a server `TLSSocket` whose handshake runs under its own deadline
 * (`tls.handshakeTimeoutMs`), at most `tls.maxHandshakes` at once; a finished one is handed to
 * the server's `accept`, a failed one is destroyed and reported as `rejected` with an `ERR_TLS_*`
 * code (counted in `stats().tlsHandshakeFailures`).
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Clock } from '@netlab/ground';
import type { Peer } from '@netlab/service';
import { TcpError } from './errors.js';
import type { MutableTcpServerStats } from './tcp-server-stats.js';
import type { TcpServerEvent } from './tcp-server-options.js';
import { type ServerTls, fromTlsError } from './tls.js';

export class TlsHandshakes {
  private readonly inProgress = new Set<TLSSocket>();

  constructor(
    private readonly tls: ServerTls,
    private readonly clock: Clock,
    private readonly stats: MutableTcpServerStats,
    private readonly onEvent: (event: TcpServerEvent) => void,
    /** Serves a socket whose handshake is done. */
    private readonly accept: (socket: Socket, peer: Peer) => void,
  ) {}

  /** Starts the handshake of a new connection; `closing` refuses it (the server is shutting down). */
  start(socket: Socket, peer: Peer, closing: boolean): void {
    const serverTls = this.tls;
    const stats = this.stats;
    const onEvent = this.onEvent;
    if (closing || this.inProgress.size >= serverTls.maxHandshakes) {
      stats.connectionsRejected += 1;
      socket.destroy();
      const error = closing
        ? new TcpError('ERR_SERVER_CLOSED', `refused ${peer.id}: the server is shutting down`, { reason: 'open' })
        : new TcpError('ERR_TOO_MANY_CONNECTIONS', `refused ${peer.id}: ${serverTls.maxHandshakes} TLS handshakes already in progress (tls.maxHandshakes)`, {
            reason: 'open',
            details: { maxHandshakes: serverTls.maxHandshakes },
          });
      onEvent({ type: 'rejected', peer, error });
      return;
    }
    const clock = this.clock;
    const handshaking = this.inProgress;
    const secure = new TLSSocket(socket, { isServer: true, secureContext: serverTls.context, requestCert: false, rejectUnauthorized: false });
    handshaking.add(secure);
    // The server's log already names the peer ("refused 127.0.0.1:40312: …").
    const where = 'the client';
    const failed = (error: TcpError): void => {
      if (!handshaking.delete(secure)) return;
      clock.clearTimeout(timer);
      stats.tlsHandshakeFailures += 1;
      secure.destroy();
      onEvent({ type: 'rejected', peer, error });
    };
    const timer = clock.setTimeout(() => {
      failed(new TcpError('ERR_TLS_HANDSHAKE_TIMEOUT', `no TLS handshake within ${serverTls.handshakeTimeoutMs} ms (a plain-text client on the TLS port?)`, {
        reason: 'open',
        details: { handshakeTimeoutMs: serverTls.handshakeTimeoutMs },
      }));
    }, serverTls.handshakeTimeoutMs);
    const onError = (error: Error): void => {
      failed(fromTlsError(error, where, 'server'));
    };
    const onClose = (): void => {
      failed(new TcpError('ERR_TLS_HANDSHAKE', 'the client closed the connection during the TLS handshake (did it refuse our certificate?)', { reason: 'open' }));
    };
    secure.on('error', onError);
    // A peer that gives up mid-handshake (a client refusing our certificate) may only half-close.
    secure.on('end', onClose);
    secure.on('close', onClose);
    secure.once('secure', () => {
      if (!handshaking.delete(secure)) return;
      clock.clearTimeout(timer);
      secure.off('error', onError);
      secure.off('end', onClose);
      secure.off('close', onClose);
      this.accept(secure, peer);
    });
  }

  /** Server shutdown: destroys every handshake in progress. */
  destroyAll(): void {
    for (const secure of [...this.inProgress]) secure.destroy();
    this.inProgress.clear();
  }
}
