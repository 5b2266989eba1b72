import net from 'node:net';
import { type TcpServer, type TcpServerEvent, createTcpServer } from '@netlab/transport-tcp';
import { afterEach, describe, expect, it } from 'vitest';
import { LOGIN_HEADROOM, SEND_QUEUE_EXCEEDED_LINE, createChatRoom, type ChatRoomOptions } from '../src/chat-room.js';

/**
 * The room `netlab chat server` runs (createChatRoom: service, codec and transport limits) on a
 * real TCP server, attacked the way the reliability review did, with real sockets.
 */

const servers: TcpServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

interface Started {
  readonly port: number;
  readonly events: TcpServerEvent[];
  /** Resolves once `check` holds for the events seen (checked on every event); rejects after `ms`. */
  until(check: (events: readonly TcpServerEvent[]) => boolean, ms: number, what: string): Promise<void>;
}

async function startRoom(options: ChatRoomOptions): Promise<Started> {
  const room = createChatRoom(options);
  const events: TcpServerEvent[] = [];
  const waiters = new Set<() => void>();
  const server = createTcpServer({
    ...room.tcp,
    codec: room.codec,
    service: room.service,
    onEvent: (event) => {
      events.push(event);
      for (const waiter of [...waiters]) waiter();
    },
  });
  servers.push(server);
  const { port } = await server.listen();
  return {
    port,
    events,
    until: (check, ms, what) =>
      new Promise<void>((resolve, reject) => {
        const test = (): void => {
          if (!check(events)) return;
          waiters.delete(test);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(test);
          reject(new Error(`${what} not seen within ${ms} ms`));
        }, ms);
        waiters.add(test);
        test();
      }),
  };
}

interface Member {
  readonly socket: net.Socket;
  text(): string;
  /** Resolves once the received text matches; rejects after `ms`. */
  waitFor(pattern: RegExp, ms: number): Promise<void>;
  readonly closed: Promise<void>;
}

async function connect(port: number, options: { paused?: boolean } = {}): Promise<Member> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    for (const waiter of [...waiters]) waiter();
  });
  if (options.paused === true) socket.pause();
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const text = (): string => Buffer.concat(chunks).toString('utf8');
  return {
    socket,
    text,
    closed,
    waitFor: (pattern, ms) =>
      new Promise<void>((resolve, reject) => {
        const test = (): void => {
          if (!pattern.test(text())) return;
          waiters.delete(test);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(test);
          reject(new Error(`${String(pattern)} not received within ${ms} ms; got ${JSON.stringify(text().slice(-200))}`));
        }, ms);
        waiters.add(test);
        test();
      }),
  };
}

describe('chat room under attack (real sockets)', () => {
  it('defect 6: silent connections that never pick a name are closed at the login deadline, and a newcomer joins', async () => {
    const loginTimeoutMs = 600;
    const room = await startRoom({ maxMembers: 2, loginTimeoutMs });
    const capacity = 2 + LOGIN_HEADROOM;
    const silent = await Promise.all(Array.from({ length: capacity }, () => connect(room.port)));
    await room.until((events) => events.filter((e) => e.type === 'connection').length === capacity, 5000, 'every silent connection accepted');
    const refused = await connect(room.port);
    await refused.waitFor(/^ERROR server full\n$/, 3000);
    await room.until((events) => events.filter((e) => e.type === 'close').length === capacity, 10_000, 'every silent connection closed');
    await Promise.all(silent.map((member) => member.closed));
    const closes = room.events.flatMap((e) => (e.type === 'close' ? [e.reason] : []));
    expect(closes).toHaveLength(capacity);
    for (const reason of closes) {
      expect(reason.kind).toBe('idle');
      expect(reason.error).toMatchObject({ code: 'ERR_FIRST_MESSAGE_TIMEOUT' });
    }
    const newcomer = await connect(room.port);
    newcomer.socket.write('newcomer\n');
    await newcomer.waitFor(/Welcome, newcomer!\n/, 3000);
  });

  it('defect 11: a member that never reads is dropped at a line boundary, then told ERROR send queue exceeded; the room sees it leave', async () => {
    const sendQueueBytes = 64 * 1024;
    const room = await startRoom({ sendQueueBytes, floodRate: 1e6, floodBurst: 1e6, loginTimeoutMs: 0 });
    const slowpoke = await connect(room.port, { paused: true });
    slowpoke.socket.write('slowpoke\n');
    const talker = await connect(room.port);
    talker.socket.write('talker\n');
    await talker.waitFor(/Welcome, talker!\n/, 3000);
    const line = 'm'.repeat(1000);
    // 8 MB toward a member that reads nothing: far past the kernel's buffers and its send queue.
    const burst = `${line}\n`.repeat(1000);
    let sent = 0;
    // The error is reported when the queue overflows (the close event comes only once the socket is gone).
    const overflowed = (events: readonly TcpServerEvent[]): boolean => events.some((e) => e.type === 'error' && e.error.code === 'ERR_OUTPUT_LIMIT');
    const dropped = room.until(overflowed, 30_000, 'the slow member dropped for its send queue');
    while (sent < 8 && !overflowed(room.events)) {
      if (!talker.socket.write(burst)) {
        await new Promise<void>((resolve) => {
          talker.socket.once('drain', resolve);
        });
      }
      sent += 1;
    }
    await dropped;
    // Now read: what was queued (whole lines) and the reason arrive, then the server's FIN.
    slowpoke.socket.resume();
    await talker.waitFor(/slowpoke has left the chat\./, 10_000);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      slowpoke.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('the dropped member was not closed'));
        }, 15_000);
      }),
    ]);
    clearTimeout(timer);
    const received = slowpoke.text();
    expect(received.endsWith('\n')).toBe(true);
    const lines = received.slice(0, -1).split('\n');
    expect(lines.at(-1)).toBe(SEND_QUEUE_EXCEEDED_LINE);
    const chat = lines.filter((l) => l.startsWith('talker: '));
    expect(chat.length).toBeGreaterThan(0);
    for (const l of chat) expect(l).toBe(`talker: ${line}`);
    for (const l of lines) expect(l, 'every line whole').toMatch(/^(talker: m{1000}|Welcome, slowpoke!|\w+ has joined the chat\.|ERROR send queue exceeded)$/);
    await room.until((events) => events.some((e) => e.type === 'close' && e.reason.kind === 'error'), 5000, 'the close event of the dropped member');
    const close = room.events.find((e) => e.type === 'close' && e.reason.kind === 'error');
    expect(close?.type === 'close' && close.reason.message).toMatch(/SendQ exceeded/);
  });
});
