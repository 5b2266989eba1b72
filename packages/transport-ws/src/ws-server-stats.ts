/** The counters of one WebSocket server, shared by its connections (snapshots go out through `stats()`). */

/** Server-wide counters (mutable inside the package). */
export interface MutableWsServerStats {
  connectionsAccepted: number;
  connectionsActive: number;
  /** Connections refused (at `maxConnections`, or while shutting down). */
  connectionsRejected: number;
  /** Refused connections that were sent `busyReply`. */
  busyReplies: number;
  /** Upgrade requests refused by `authorize` or sent to another path. */
  unauthorized: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  errors: number;
  malformed: number;
  idleTimeouts: number;
  firstMessageTimeouts: number;
  /** Connections ended for output past `maxOutputBytes` ("SendQ exceeded"). */
  outputOverflows: number;
}

/** Server-wide counters (a snapshot). */
export type WsServerStats = Readonly<MutableWsServerStats>;

/** Fresh counters, all zero. */
export function createWsServerStats(): MutableWsServerStats {
  return {
    connectionsAccepted: 0,
    connectionsActive: 0,
    connectionsRejected: 0,
    busyReplies: 0,
    unauthorized: 0,
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    errors: 0,
    malformed: 0,
    idleTimeouts: 0,
    firstMessageTimeouts: 0,
    outputOverflows: 0,
  };
}
