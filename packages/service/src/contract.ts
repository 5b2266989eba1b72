/**
 * The service contract: the one seam between service logic and transports. The rules below are
 * executable: `session-driver.ts` is the one state machine every adapter drives (TCP, UDP,
 * `connectLocal`, the simulated network), so they hold the same way everywhere.
 *
 * A service is a sans-I/O state machine. A transport (TCP, UDP, an in-memory link in tests)
 * calls `open(peer, ctx)` once per connection (TCP) or per peer session (UDP), then
 * `session.receive(message)` for each decoded message, in order, never concurrently for one
 * session: it awaits a returned promise before delivering the next message. The returned
 * messages are sent, in order, before anything the next `receive` returns.
 *
 * A session may also send at any time through `ctx.send` (the server speaking first, a chat
 * room broadcasting to other members' contexts) and end its connection with `ctx.close`.
 * Time comes from `ctx.now()` so tests and simulations control it.
 */

/** Who is on the other end. */
export interface Peer {
  readonly transport: 'tcp' | 'udp' | 'ws' | 'local';
  /** Remote IP address (`127.0.0.1`, `::1`), or a label for local links. */
  readonly address: string;
  readonly port: number;
  /** Unique within the process for the life of the session, e.g. `tcp:127.0.0.1:53122#7`. */
  readonly id: string;
}

/** Why a session ended. */
export interface CloseReason {
  /**
   * - `local`: the service called `ctx.close()`.
   * - `remote`: the peer closed its side.
   * - `error`: a read/write/decode error, or a limit (output cap, malformed input) was hit.
   * - `idle`: the idle timeout (or the first-message deadline) fired.
   * - `shutdown`: the server is stopping.
   * - `expired`: a UDP peer session was silent for its whole expiry time.
   * - `evicted`: a UDP peer session was closed to make room for a new peer (the session table was
   *   full and this was its least recently active idle session).
   * - `complete`: a per-datagram UDP session answered its one datagram.
   */
  readonly kind: 'local' | 'remote' | 'error' | 'idle' | 'shutdown' | 'expired' | 'evicted' | 'complete';
  /** Human-readable detail for logs. */
  readonly message?: string;
  readonly error?: Error;
}

/** What a session may do besides replying. */
export interface SessionContext<Out> {
  readonly peer: Peer;
  /** True once the session has ended; `send` then returns false and drops the message. */
  readonly closed: boolean;
  /** Sends a message to this session's peer now. Returns false if the session is closed. */
  send(message: Out): boolean;
  /** Ends the session after everything sent so far has been written. */
  close(reason?: string): void;
  /** Writes a log line attributed to this session (the app decides where logs go). */
  log(message: string): void;
  /** Milliseconds since the epoch, from the transport's injected clock. */
  now(): number;
}

export interface Session<In, Out> {
  /** Handles one message and returns the replies (possibly none) to send in order. */
  receive(message: In): readonly Out[] | Promise<readonly Out[]>;
  /** Called exactly once when the session ends, whatever the cause. Must not throw. */
  close?(reason: CloseReason): void;
}

export interface Service<In, Out> {
  /** Short name for logs: `echo`, `chat`, `atm`. */
  readonly name: string;
  open(peer: Peer, ctx: SessionContext<Out>): Session<In, Out>;
  /**
   * Replies for input the codec rejected (a line too long, invalid UTF-8, a bad frame). Over TCP
   * the connection is then closed, since the stream can no longer be trusted; over UDP the
   * replies answer that one datagram. Without this hook, nothing is sent.
   */
  malformed?(error: Error & { readonly code?: string }, peer: Peer): readonly Out[];
}
