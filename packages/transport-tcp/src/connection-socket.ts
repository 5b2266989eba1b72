/**
 * The socket listeners of a server connection (internal to `server-connection.ts`): module
 * functions shared by every connection, which find their connection through the socket (an
 * emitter calls a listener with `this` = the socket), so no connection needs closures of its own:
 * a server holds thousands of idle connections.
 */
import type { Socket } from 'node:net';

/** What a connection does with its socket's events. */
export interface SocketOwner {
  onData(chunk: Buffer): void;
  onEnd(): void;
  onSocketError(error: Error & { syscall?: string; code?: string }): void;
  /** The socket drained: reading may resume. */
  updateFlow(): void;
  onSocketClose(): void;
}

const OWNER: unique symbol = Symbol('netlab.tcp.connection');
type OwnedSocket = Socket & { [OWNER]?: SocketOwner | undefined };

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER]?.onData(chunk);
}
function onSocketEnd(this: OwnedSocket): void {
  this[OWNER]?.onEnd();
}
function onSocketError(this: OwnedSocket, error: Error & { syscall?: string }): void {
  this[OWNER]?.onSocketError(error);
}
function onSocketDrain(this: OwnedSocket): void {
  this[OWNER]?.updateFlow();
}
function onSocketClose(this: OwnedSocket): void {
  const owner = this[OWNER];
  this[OWNER] = undefined;
  owner?.onSocketClose();
}

/** Routes `socket`'s events to `owner` until the socket closes. */
export function attachSocket(socket: Socket, owner: SocketOwner): void {
  (socket as OwnedSocket)[OWNER] = owner;
  socket.on('data', onSocketData);
  socket.on('end', onSocketEnd);
  socket.on('error', onSocketError);
  socket.on('drain', onSocketDrain);
  socket.on('close', onSocketClose);
}
