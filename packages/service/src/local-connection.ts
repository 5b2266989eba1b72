import type { CloseReason, Peer, Service, Session, SessionContext } from './contract.js';

export interface LocalConnectionOptions {
  /** The peer the service sees. Default: a `local` peer with a unique id. */
  readonly peer?: Peer;
  /** Clock for `ctx.now()`. Default `Date.now`. */
  readonly now?: () => number;
  /** Receives `ctx.log` lines. Default: discarded. */
  readonly log?: (line: string) => void;
}

/**
 * One in-memory connection to a service, the way a transport would drive it, with no I/O:
 * for unit tests of services, simulations and demos.
 */
export interface LocalConnection<In, Out> {
  readonly peer: Peer;
  /** Every message the service has sent on this connection, in order (replies and pushes). */
  readonly sent: readonly Out[];
  readonly closed: boolean;
  readonly closeReason: CloseReason | undefined;
  /** Delivers one message and returns the replies of this `receive` call. */
  send(message: In): Promise<readonly Out[]>;
  /** Removes and returns everything sent since the last `take()`. */
  take(): Out[];
  /** Ends the connection from the peer's side (`kind: 'remote'`). */
  close(): void;
}

let nextLocalId = 1;

/** Opens a {@link LocalConnection} to `service`. */
export function connectLocal<In, Out>(service: Service<In, Out>, options: LocalConnectionOptions = {}): LocalConnection<In, Out> {
  const peer: Peer = options.peer ?? { transport: 'local', address: 'local', port: 0, id: `local#${nextLocalId++}` };
  const now = options.now ?? Date.now;
  const log = options.log ?? ((): void => undefined);
  const sent: Out[] = [];
  let taken = 0;
  let closeReason: CloseReason | undefined;
  let session: Session<In, Out> | undefined = undefined;

  // Read through a function: `closeReason` changes across awaits, which narrowing cannot see.
  const current = (): CloseReason | undefined => closeReason;
  const end = (reason: CloseReason): void => {
    if (closeReason !== undefined) return;
    closeReason = reason;
    session?.close?.(reason);
  };

  const ctx: SessionContext<Out> = {
    peer,
    get closed() {
      return closeReason !== undefined;
    },
    send(message) {
      if (closeReason !== undefined) return false;
      sent.push(message);
      return true;
    },
    close(message) {
      end(message === undefined ? { kind: 'local' } : { kind: 'local', message });
    },
    log,
    now,
  };
  session = service.open(peer, ctx);
  const opened = session;

  return {
    peer,
    sent,
    get closed() {
      return closeReason !== undefined;
    },
    get closeReason() {
      return closeReason;
    },
    async send(message) {
      if (closeReason !== undefined) throw new Error(`connection ${peer.id} is closed`);
      const replies = await opened.receive(message);
      // Replies of a receive that raced with close are dropped, as a socket would drop them.
      const reason = current();
      if (reason === undefined || reason.kind === 'local') sent.push(...replies);
      return replies;
    },
    take() {
      const fresh = sent.slice(taken);
      taken = sent.length;
      return fresh;
    },
    close() {
      end({ kind: 'remote' });
    },
  };
}
