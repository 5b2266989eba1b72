/**
 * `netlab chat server --redis URL --room NAME`: the chat room shared by every server on one Redis.
 *
 * - The room's log is a Redis stream (XADD MAXLEN ~ `logMax`, written only by the Lua scripts of
 *   redis-scripts.ts). Each server reads it on a connection of its own (XREAD BLOCK from the last
 *   id it applied) and hands every event, in stream order, to its `SharedChatService`, which
 *   turns it into lines for its own members: one order for everybody. After a lost connection
 *   the reader goes on from the same id, so it catches up without loss or duplicates; if the
 *   stream was trimmed past that id meanwhile (Redis 7's `max-deleted-entry-id` says so) the
 *   members are told lines were lost.
 * - Names are claimed in a hash with the claiming server's id; a server's claims are valid while
 *   its lease key lives (SET PX `leaseMs`, renewed every `leaseMs / 3` by the heartbeat script,
 *   which also reaps servers whose lease expired and logs their members' leaves, once).
 * - A write resolves once this server's reader has applied the event it wrote (see RoomBus).
 * - When the lease turns out lost (Redis restarted without its data, or this server was away
 *   past its lease and was reaped), the server registers again, lets its reader catch up to the
 *   stream's tail, and syncs: the names of its members now are claimed again silently, names of
 *   sessions that are gone released with a leave, and a member whose name a live server took
 *   meanwhile is dropped with a reason.
 *
 * Bounded: a session has at most one write in flight (the transport serialises `receive`), so
 * writes in flight ≤ connections; ioredis' offline queue holds them while reconnecting for at
 * most `maxRetriesPerRequest` attempts, then the member gets `ERROR room unavailable, try again`.
 * The stream is capped by MAXLEN ~; the dedup table has one entry per writer, at most
 * {@link MAX_WRITERS}; waiters for an applied event time out after {@link APPLY_TIMEOUT_MS}.
 */
import { randomBytes } from 'node:crypto';
import { CliError } from '@netlab/cli-kit';
import {
  ChatError,
  type ChatServiceOptions,
  type JoinResult,
  type RenameResult,
  type RoomBus,
  type RoomEvent,
  type SayResult,
  type SharedChatService,
  type WhisperResult,
  chatNameKey,
  createSharedChatService,
} from '@netlab/service-chat';
import { Redis, type RedisOptions } from 'ioredis';
import { HEARTBEAT, JOIN, LEAVE, REGISTER, RENAME, RETIRE, SAY, SYNC, WHISPER, WHO } from './redis-scripts.js';

/** A server whose heartbeat stops for this long loses its members' names: 10 s. */
export const DEFAULT_REDIS_LEASE_MS = 10_000;
/** Events the room's stream keeps (MAXLEN ~, so Redis may keep a little more). */
export const DEFAULT_REDIS_LOG_MAX = 10_000;
/** The room a server joins when `--room` is not given. */
export const DEFAULT_ROOM = 'lab';
/** A write waits this long for the reader to apply its event before it counts as failed. */
export const APPLY_TIMEOUT_MS = 10_000;
/** Writers whose last call number is remembered (servers of the room, including past ones). */
export const MAX_WRITERS = 4096;

const ROOM_NAME = /^[A-Za-z0-9_.-]{1,64}$/u;
const READ_COUNT = 1000;
const READ_BLOCK_MS = 5000;

export interface RedisRoomOptions extends ChatServiceOptions {
  /** `redis://[user:pass@]host:port[/db]`. Required. */
  readonly url: string;
  /** The room's name: servers with the same Redis and room share members. Default {@link DEFAULT_ROOM}. */
  readonly room?: string;
  /** The lease on this server's names. Default {@link DEFAULT_REDIS_LEASE_MS}. */
  readonly leaseMs?: number;
  /** Events the stream keeps. Default {@link DEFAULT_REDIS_LOG_MAX}. */
  readonly logMax?: number;
  /** Where the room writes its log lines (connection trouble, recoveries, reaped servers). */
  readonly log: (line: string) => void;
}

export interface RedisRoom {
  readonly service: SharedChatService;
  readonly serverId: string;
  /** The key prefix of this room (every key it uses starts with it). */
  readonly prefix: string;
  /** Releases this server's names (announcing the leaves), its lease, and closes both connections. */
  close(): Promise<void>;
}

type Reply = (string | number)[];

/** Compares stream ids `ms-seq`. */
function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = Number(am) - Number(bm);
  return ms !== 0 ? ms : Number(as) - Number(bs);
}

function parseEvent(fields: string[]): { event: RoomEvent; writer: string; seq: number; sub: number } | undefined {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] ?? '', fields[i + 1] ?? '');
  const type = f.get('t');
  const name = f.get('n') ?? '';
  const server = f.get('s') ?? '';
  const sid = f.get('i') ?? '';
  const [seq = '0', sub = '0'] = (f.get('q') ?? '0.0').split('.');
  const base = { writer: f.get('w') ?? '', seq: Number(seq), sub: Number(sub) };
  switch (type) {
    case 'join':
      return { ...base, event: { type, name, server, sid } };
    case 'leave':
      return { ...base, event: { type, name, server, sid, quit: f.get('k') === '1' } };
    case 'nick':
      return { ...base, event: { type, old: f.get('o') ?? '', name, server, sid } };
    case 'say':
      return { ...base, event: { type, name, text: f.get('x') ?? '', server, sid } };
    case 'pm':
      return { ...base, event: { type, name, to: f.get('r') ?? '', text: f.get('x') ?? '', server, sid } };
    default:
      return undefined;
  }
}

const unavailable = (why: string): ChatError => new ChatError('ERR_ROOM_UNAVAILABLE', `the room is unavailable: ${why}`);

/** Checks `--room`: 1–64 letters, digits, `_`, `.`, `-`. */
export function checkRoomName(room: string): string {
  if (!ROOM_NAME.test(room)) throw new CliError('ERR_USAGE', `invalid --room "${room}": expected 1-64 letters, digits, "_", ".", "-"`);
  return room;
}

/** Connects to Redis, joins the room and returns its chat service (rejects with `ERR_CONNECT` when Redis cannot be reached). */
export async function startRedisRoom(options: RedisRoomOptions): Promise<RedisRoom> {
  const room = checkRoomName(options.room ?? DEFAULT_ROOM);
  const leaseMs = options.leaseMs ?? DEFAULT_REDIS_LEASE_MS;
  const logMax = options.logMax ?? DEFAULT_REDIS_LOG_MAX;
  const { log } = options;
  if (!/^rediss?:\/\//u.test(options.url)) throw new CliError('ERR_USAGE', `invalid --redis "${options.url}": expected redis://host:port`);
  const serverId = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
  const prefix = `netlab:chat:{${room}}:`;
  const base: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 8,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    connectTimeout: 5000,
  };
  const state = { closed: false, started: false, needsSync: false };
  let firstError: string | undefined;
  // A function, not the field: the read loop awaits, and close() flips the field meanwhile.
  const stopped = (): boolean => state.closed;
  const commands = new Redis(options.url, { ...base, connectionName: `netlab-chat-${serverId}` });
  const reader = new Redis(options.url, { ...base, connectionName: `netlab-chat-${serverId}-reader` });
  for (const [label, client] of [
    ['redis', commands],
    ['redis reader', reader],
  ] as const) {
    // One line per outage and connection, however many retries it takes.
    let lost = false;
    let lastError = '';
    client.on('error', (error: Error) => {
      firstError ??= error.message;
      if (state.started && error.message !== lastError) log(`${label}: ${error.message}`);
      lastError = error.message;
    });
    client.on('close', () => {
      if (!lost && state.started && !state.closed) log(`${label}: connection lost, reconnecting`);
      lost = true;
    });
    client.on('ready', () => {
      if (lost) log(`${label}: connected again`);
      lost = false;
      lastError = '';
    });
  }
  try {
    await Promise.all([commands.connect(), reader.connect()]);
  } catch (error) {
    commands.disconnect();
    reader.disconnect();
    throw new CliError('ERR_CONNECT', `cannot reach redis at ${options.url}: ${firstError ?? (error instanceof Error ? error.message : String(error))}`);
  }
  state.started = true;

  let calls = 0;
  const run = async (script: string, args: readonly (string | number)[]): Promise<Reply> =>
    (await commands.eval(script, 0, prefix, serverId, logMax, ++calls, ...args)) as Reply;

  // The reader's position, and writes waiting for it to pass their event.
  let lastId = String((await run(REGISTER, [leaseMs]))[1] ?? '0-0');
  const waiters = new Set<{ id: string; resolve: () => void }>();
  const applied = (id: string): Promise<void> => {
    if (compareIds(lastId, id) >= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        id,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(unavailable(`this server's reader did not reach ${id} within ${APPLY_TIMEOUT_MS} ms`));
      }, APPLY_TIMEOUT_MS);
      waiters.add(waiter);
    });
  };

  let recovering: Promise<void> | undefined;
  // A write: runs the script; on a lost lease recovers once and tries again; waits until applied.
  const write = async (script: string, args: readonly (string | number)[]): Promise<Reply> => {
    let reply: Reply;
    try {
      reply = await run(script, args);
      if (reply[0] === 'nolease') {
        await recover();
        reply = await run(script, args);
      }
    } catch (error) {
      throw error instanceof ChatError ? error : unavailable(error instanceof Error ? error.message : String(error));
    }
    if (reply[0] === 'nolease') throw unavailable('this server has no lease on the room');
    if (reply[0] === 'ok' && typeof reply[1] === 'string' && reply[1] !== '0-0') await applied(reply[1]);
    return reply;
  };

  const bus: RoomBus = {
    serverId,
    join: async (name, sid): Promise<JoinResult> => ((await write(JOIN, [chatNameKey(name), name, sid]))[0] === 'ok' ? 'ok' : 'taken'),
    leave: async (name, sid, quit): Promise<void> => {
      try {
        await write(LEAVE, [chatNameKey(name), sid, quit ? 1 : 0]);
      } catch (error) {
        // The name may still be held for a session that is gone: the next heartbeat syncs.
        state.needsSync = true;
        throw error;
      }
    },
    rename: async (old, name, sid): Promise<RenameResult> => {
      const status = (await write(RENAME, [chatNameKey(old), chatNameKey(name), name, sid]))[0];
      return status === 'ok' ? 'ok' : status === 'taken' ? 'taken' : 'gone';
    },
    say: async (name, text, sid): Promise<SayResult> => ((await write(SAY, [chatNameKey(name), sid, text]))[0] === 'ok' ? 'ok' : 'gone'),
    whisper: async (name, to, text, sid): Promise<WhisperResult> => {
      const status = (await write(WHISPER, [chatNameKey(name), sid, chatNameKey(to), text]))[0];
      return status === 'ok' ? 'ok' : status === 'nosuch' ? 'no-such-member' : 'gone';
    },
    who: async (): Promise<readonly string[]> => {
      try {
        return (await run(WHO, [])).map(String);
      } catch (error) {
        throw unavailable(error instanceof Error ? error.message : String(error));
      }
    },
  };
  const service = createSharedChatService({ ...options, bus });

  // The reader: every event in stream order, once.
  const seen = new Map<string, { seq: number; sub: number }>();
  const applyEntry = (id: string, fields: string[]): void => {
    const parsed = parseEvent(fields);
    if (parsed !== undefined) {
      const before = seen.get(parsed.writer);
      const fresh = before === undefined || parsed.seq > before.seq || (parsed.seq === before.seq && parsed.sub > before.sub);
      if (fresh) {
        seen.delete(parsed.writer);
        seen.set(parsed.writer, { seq: parsed.seq, sub: parsed.sub });
        if (seen.size > MAX_WRITERS) seen.delete(seen.keys().next().value ?? '');
        service.apply(parsed.event);
      }
    }
    lastId = id;
  };
  const checkGap = async (): Promise<void> => {
    try {
      const info = (await reader.call('XINFO', 'STREAM', `${prefix}log`)) as unknown[];
      const at = info.indexOf('max-deleted-entry-id');
      const deleted = at === -1 ? '0-0' : String(info[at + 1]);
      if (lastId !== '0-0' && compareIds(deleted, lastId) > 0) {
        log(`room log trimmed past ${lastId} while disconnected: lines were lost`);
        service.notice('ERROR some room lines were lost while this server was disconnected');
      }
    } catch {
      log(`room log ${prefix}log is gone (redis restarted without its data?); reading on from ${lastId}`);
    }
  };
  const readLoop = async (): Promise<void> => {
    let failed = false;
    while (!stopped()) {
      try {
        if (failed) await checkGap();
        failed = false;
        const reply = await reader.xread('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', `${prefix}log`, lastId);
        for (const [, entries] of reply ?? []) for (const [id, fields] of entries) applyEntry(id, fields);
        for (const waiter of waiters) {
          if (compareIds(lastId, waiter.id) >= 0) {
            waiters.delete(waiter);
            waiter.resolve();
          }
        }
      } catch {
        if (stopped()) return;
        failed = true;
        // ioredis reconnects by itself; wait for it (or a bounded pause) before reading again.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          reader.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  };
  const reading = readLoop();

  // Makes the names Redis holds for this server exactly its members now (see SYNC).
  const sync = async (): Promise<{ kept: number; dropped: number }> => {
    state.needsSync = false;
    const members = service.members();
    const reply = await run(
      SYNC,
      members.flatMap((m) => [chatNameKey(m.name), m.name, m.sid]),
    );
    if (reply[0] !== 'ok') throw unavailable('this server has no lease on the room');
    const conflicts = reply.slice(1).map(String);
    for (const sid of conflicts) service.drop(sid, 'another member took your name while the room was unavailable');
    return { kept: members.length - conflicts.length, dropped: conflicts.length };
  };

  const recover = (): Promise<void> => {
    recovering ??= (async () => {
      try {
        const tail = String((await run(REGISTER, [leaseMs]))[1] ?? '0-0');
        await applied(tail);
        const { kept, dropped } = await sync();
        log(`room lease taken again: ${kept} members kept, ${dropped} dropped`);
      } finally {
        recovering = undefined;
      }
    })();
    return recovering;
  };

  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating || state.closed) return;
    beating = true;
    run(HEARTBEAT, [leaseMs])
      .then(async (reply) => {
        if (reply[0] === 'nolease') {
          log('room lease lost; taking it again');
          await recover();
          return;
        }
        if (Number(reply[1]) > 0) log(`reaped ${String(reply[1])} names of servers whose lease expired`);
        if (state.needsSync) {
          const { dropped } = await sync();
          log(`names synced after failed releases${dropped > 0 ? `: ${dropped} dropped` : ''}`);
        }
      })
      .catch(() => undefined)
      .finally(() => {
        beating = false;
      });
  }, Math.max(50, Math.floor(leaseMs / 3)));

  log(`chat: room "${room}" on ${options.url} as server ${serverId} (lease ${leaseMs} ms)`);
  return {
    service,
    serverId,
    prefix,
    close: async () => {
      if (state.closed) return;
      clearInterval(heartbeat);
      try {
        const reply = await Promise.race([run(RETIRE, []), new Promise<undefined>((resolve) => setTimeout(() => { resolve(undefined); }, 2000).unref())]);
        if (reply !== undefined) log(`chat: left room "${room}" (${String(reply[1])} names released)`);
      } catch {
        // Redis is away: the lease expires by itself and another server reaps the names.
      }
      state.closed = true;
      reader.disconnect();
      await reading;
      await commands.quit().catch(() => undefined);
    },
  };
}
