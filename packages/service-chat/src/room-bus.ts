/**
 * A room shared by several chat servers: the contract between the shared chat service (pure) and
 * the engine that holds the room (Redis in `netlab chat server --redis`, memory in tests).
 *
 * Invariants the engine keeps:
 * - One totally ordered log of {@link RoomEvent}s per room; every server applies every event in
 *   log order, exactly once (the engine drops duplicates), so every member sees the same order.
 * - A name is held by at most one member of the whole room (compared by `chatNameKey`). A claim
 *   and its `join` event are one atomic step, as are a release and its `leave`, a rename and its
 *   `nick`: a join or leave is announced once, by the log, never by a server on its own.
 * - A write resolves only once the server's own reader has applied the event it wrote, so a
 *   member's next line is handled after its previous one took effect (a `/nick` then a line
 *   carries the new name).
 * - A write that the engine cannot perform rejects with `ChatError` `ERR_ROOM_UNAVAILABLE`.
 */

/** One entry of the room's log. `server` and `sid` name the server and session that caused it. */
export type RoomEvent =
  | { readonly type: 'join'; readonly name: string; readonly server: string; readonly sid: string }
  /** `quit`: the member asked to leave (it gets the leave line too) rather than being dropped. */
  | { readonly type: 'leave'; readonly name: string; readonly server: string; readonly sid: string; readonly quit: boolean }
  | { readonly type: 'nick'; readonly old: string; readonly name: string; readonly server: string; readonly sid: string }
  | { readonly type: 'say'; readonly name: string; readonly text: string; readonly server: string; readonly sid: string }
  | { readonly type: 'pm'; readonly name: string; readonly to: string; readonly text: string; readonly server: string; readonly sid: string };

/** What a write tells the session: `gone` means the member no longer holds its name (it was dropped). */
export type JoinResult = 'ok' | 'taken';
export type RenameResult = 'ok' | 'taken' | 'gone';
export type SayResult = 'ok' | 'gone';
export type WhisperResult = 'ok' | 'no-such-member' | 'gone';

/** The writes and reads one server makes on the shared room. */
export interface RoomBus {
  /** This server's id, unique in the room (the `server` of the events it writes). */
  readonly serverId: string;
  /** Claims `name` for session `sid` and logs its join, atomically. */
  join(name: string, sid: string): Promise<JoinResult>;
  /** Releases the name and logs the leave (once; nothing when the name is no longer this session's). */
  leave(name: string, sid: string, quit: boolean): Promise<void>;
  /** Moves the member from `old` to `name` and logs the rename, atomically. */
  rename(old: string, name: string, sid: string): Promise<RenameResult>;
  /** Logs a line to the room. */
  say(name: string, text: string, sid: string): Promise<SayResult>;
  /** Logs a private line to the member named `to` (on any server). */
  whisper(name: string, to: string, text: string, sid: string): Promise<WhisperResult>;
  /** Every member's name, across all live servers, in join order (a rename moves a member last). */
  who(): Promise<readonly string[]>;
}
