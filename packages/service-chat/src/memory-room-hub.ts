/**
 * A shared room in memory: several {@link SharedChatService}s in one process share it as if they
 * were servers on one Redis. It keeps the {@link RoomBus} invariants (one log, applied by every
 * attached server in order; atomic claims) and delivers each event synchronously, so tests and
 * the simulation see a deterministic order. `setAvailable(false)` makes every write reject with
 * `ERR_ROOM_UNAVAILABLE`, to test what members see when the engine is away.
 */
import { chatNameKey } from './chat-name.js';
import { ChatError } from './errors.js';
import type { JoinResult, RenameResult, RoomBus, RoomEvent, SayResult, WhisperResult } from './room-bus.js';

/** A room several in-process servers share. */
export interface MemoryRoomHub {
  /** A bus for server `serverId`; `apply` receives every event of the room from now on, in order. */
  bus(serverId: string, apply: (event: RoomEvent) => void): RoomBus;
  /** Every event so far (the room's log). */
  readonly log: readonly RoomEvent[];
  /** While false, every write and read rejects with `ERR_ROOM_UNAVAILABLE`. */
  setAvailable(available: boolean): void;
}

interface Holder {
  readonly server: string;
  readonly sid: string;
  readonly name: string;
  readonly order: number;
}

/** Creates an empty shared room in memory. */
export function createMemoryRoomHub(): MemoryRoomHub {
  const names = new Map<string, Holder>();
  const log: RoomEvent[] = [];
  const appliers: ((event: RoomEvent) => void)[] = [];
  let available = true;
  let order = 0;
  const append = (event: RoomEvent): void => {
    log.push(event);
    for (const apply of [...appliers]) apply(event);
  };
  // Runs one atomic step of the room, or rejects as an engine that is away would.
  const step = <T>(body: () => T): Promise<T> =>
    available ? Promise.resolve(body()) : Promise.reject(new ChatError('ERR_ROOM_UNAVAILABLE', 'the shared room is unavailable'));
  const holds = (server: string, sid: string, name: string): boolean => {
    const holder = names.get(chatNameKey(name));
    return holder?.server === server && holder.sid === sid;
  };

  return {
    log,
    setAvailable: (value) => {
      available = value;
    },
    bus: (serverId, apply): RoomBus => {
      appliers.push(apply);
      return {
        serverId,
        join: (name, sid): Promise<JoinResult> =>
          step(() => {
            if (names.has(chatNameKey(name))) return 'taken';
            names.set(chatNameKey(name), { server: serverId, sid, name, order: order++ });
            append({ type: 'join', name, server: serverId, sid });
            return 'ok';
          }),
        leave: (name, sid, quit): Promise<void> =>
          step(() => {
            if (!holds(serverId, sid, name)) return;
            names.delete(chatNameKey(name));
            append({ type: 'leave', name, server: serverId, sid, quit });
          }),
        rename: (old, name, sid): Promise<RenameResult> =>
          step(() => {
            if (!holds(serverId, sid, old)) return 'gone';
            const holder = names.get(chatNameKey(name));
            if (holder !== undefined && !(holder.server === serverId && holder.sid === sid)) return 'taken';
            names.delete(chatNameKey(old));
            names.set(chatNameKey(name), { server: serverId, sid, name, order: order++ });
            append({ type: 'nick', old, name, server: serverId, sid });
            return 'ok';
          }),
        say: (name, text, sid): Promise<SayResult> =>
          step(() => {
            if (!holds(serverId, sid, name)) return 'gone';
            append({ type: 'say', name, text, server: serverId, sid });
            return 'ok';
          }),
        whisper: (name, to, text, sid): Promise<WhisperResult> =>
          step(() => {
            if (!holds(serverId, sid, name)) return 'gone';
            const target = names.get(chatNameKey(to));
            if (target === undefined) return 'no-such-member';
            append({ type: 'pm', name, to: target.name, text, server: serverId, sid });
            return 'ok';
          }),
        who: (): Promise<readonly string[]> =>
          step(() => {
            return [...names.values()].sort((a, b) => a.order - b.order).map((h) => h.name);
          }),
      };
    },
  };
}
