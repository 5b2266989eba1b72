/**
 * Opening a client's socket (internal to `connectTcp`): the TCP connect and, with TLS, the
 * handshake and the peer checks (`checkPeer`: the CA chain or the pinned fingerprint), all under
 * one `connectTimeoutMs` deadline. A failure rejects with the code saying which step failed
 * (`ERR_CONNECT_TIMEOUT` before the TCP connect, `ERR_TLS_HANDSHAKE_TIMEOUT` after it, the
 * socket's errno code or the TLS error's).
 */
import { type Socket, connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Clock } from '@netlab/ground';
import { TcpError, fromSocketError } from './errors.js';
import { type TcpClientTlsOptions, checkPeer, clientConnectOptions, fromTlsError } from './tls.js';

/** Where and how to connect. */
export interface ClientTarget {
  readonly host: string;
  readonly port: number;
  /** `host:port` for messages. */
  readonly where: string;
  readonly noDelay: boolean;
  readonly tls: TcpClientTlsOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly clock: Clock;
}

/**
 * Connects and resolves with `ready(socket)`, called synchronously on the socket's last opening
 * event, so that the caller's listeners are on the socket before any later event.
 */
export function openClientSocket<T>(target: ClientTarget, ready: (socket: Socket) => T): Promise<T> {
  const { host, port, where, noDelay, tls, connectTimeoutMs, clock } = target;
  return new Promise((resolve, reject) => {
    const secure = tls === undefined ? undefined : connectTls({ host, port, ...clientConnectOptions(tls, host) });
    const socket: Socket = secure ?? connect({ host, port, noDelay });
    // With TLS, "connected" (TCP) comes before "ready" (handshake done): a failure in between is the handshake's.
    let connected = false;
    const timer = clock.setTimeout(() => {
      socket.destroy();
      reject(
        connected
          ? new TcpError('ERR_TLS_HANDSHAKE_TIMEOUT', `no TLS handshake from ${where} within ${connectTimeoutMs} ms (is it a TLS server?)`, { reason: 'open', details: { host, port, connectTimeoutMs } })
          : new TcpError('ERR_CONNECT_TIMEOUT', `no answer from ${where} within ${connectTimeoutMs} ms`, { reason: 'open', details: { host, port, connectTimeoutMs } }),
      );
    }, connectTimeoutMs);
    const onError = (error: Error): void => {
      clock.clearTimeout(timer);
      socket.destroy();
      reject(connected ? fromTlsError(error, where, 'client') : fromSocketError(error, host, port, 'open'));
    };
    socket.once('error', onError);
    const opened = (): void => {
      clock.clearTimeout(timer);
      socket.off('error', onError);
      resolve(ready(socket));
    };
    if (secure === undefined || tls === undefined) {
      socket.once('connect', opened);
      return;
    }
    socket.once('connect', () => {
      connected = true;
      secure.setNoDelay(noDelay);
    });
    secure.once('secureConnect', () => {
      const refused = checkPeer(secure, tls, where);
      if (refused === undefined) {
        opened();
        return;
      }
      onError(refused);
    });
  });
}
