/**
 * The counters of one TCP server, shared by its connections (mutable only inside the package;
 * `stats()` hands out snapshots).
 */

/** Server-wide counters (mutable inside the package). */
export interface MutableTcpServerStats {
  connectionsAccepted: number;
  connectionsActive: number;
  /** Connections refused (at `maxConnections`, or while shutting down). */
  connectionsRejected: number;
  /** Refused connections that were sent `busyReply` (the reason, where the protocol can say one). */
  busyReplies: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  writes: number;
  errors: number;
  malformed: number;
  /** Connections closed for sending no complete message within `idleTimeoutMs`. */
  idleTimeouts: number;
  /** Connections closed for sending no first message within `firstMessageTimeoutMs`. */
  firstMessageTimeouts: number;
  /** Connections ended for output past `maxOutputBytes` ("SendQ exceeded"). */
  outputOverflows: number;
  /** TLS handshakes that failed or timed out (servers with `tls` only). */
  tlsHandshakeFailures: number;
}

/** Server-wide counters (a snapshot). */
export type TcpServerStats = Readonly<MutableTcpServerStats>;

/** Fresh counters, all zero. */
export function createTcpServerStats(): MutableTcpServerStats {
  return {
    connectionsAccepted: 0,
    connectionsActive: 0,
    connectionsRejected: 0,
    busyReplies: 0,
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    writes: 0,
    errors: 0,
    malformed: 0,
    idleTimeouts: 0,
    firstMessageTimeouts: 0,
    outputOverflows: 0,
    tlsHandshakeFailures: 0,
  };
}
