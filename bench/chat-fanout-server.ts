/**
 * Child process of the chat fan-out benchmark: one room server, ours or bare, reporting its port
 * and, on request, its memory over IPC. Forked by chat-fanout.bench.ts; not a benchmark itself.
 *
 * Modes:
 * - ours: the room `netlab chat server` runs (apps/chat/src/chat-room.ts: chat service, line
 *   codec, transport limits; send batching is the transport's write coalescing) on
 *   createTcpServer, with the room's flood limits raised (the benchmark sends far faster than a
 *   person) and the idle timeout off.
 * - bare: a node:net room with the same wire behaviour on the paths the benchmark uses (first line
 *   is the name, answered `Welcome, <name>!`; every later line goes to every member as
 *   `<name>: <text>`), written the cheapest way a hand-rolled server would: each received chunk's
 *   lines are encoded once and written to every member with one write. Its idle connections are
 *   the "bare node:net connection" of the memory comparison.
 */
import { type Socket, createServer } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import { createTcpServer } from '@netlab/transport-tcp';
import { createChatRoom } from '../apps/chat/src/chat-room.js';

const mode = process.argv[2];
const maxMembers = Number(process.argv[3] ?? '1000');

function send(message: unknown): void {
  process.send?.(message);
}

async function startOurs(): Promise<number> {
  const room = createChatRoom({ maxMembers, floodRate: 1e9, floodBurst: 1e9, idleTimeoutMs: 0 });
  const server = createTcpServer({ ...room.tcp, codec: room.codec, service: room.service });
  return (await server.listen()).port;
}

async function startBare(): Promise<number> {
  const members = new Set<{ socket: Socket; name: string }>();
  const server = createServer({ noDelay: true }, (socket) => {
    let carry: Buffer | undefined;
    let member: { socket: Socket; name: string } | undefined;
    socket.on('data', (chunk: Buffer) => {
      const data = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
      const end = data.lastIndexOf(0x0a);
      if (end === -1) {
        carry = data;
        return;
      }
      const out: string[] = [];
      let start = 0;
      for (let at = data.indexOf(0x0a); at !== -1 && at <= end; at = data.indexOf(0x0a, start)) {
        const text = data.toString('utf8', start, at > start && data[at - 1] === 0x0d ? at - 1 : at);
        start = at + 1;
        if (member === undefined) {
          member = { socket, name: text };
          members.add(member);
          socket.write(`Welcome, ${text}!\n`);
        } else {
          out.push(`${member.name}: ${text}\n`);
        }
      }
      carry = end + 1 < data.length ? data.subarray(end + 1) : undefined;
      if (out.length === 0) return;
      const bytes = Buffer.from(out.join(''));
      for (const target of members) target.socket.write(bytes);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (member !== undefined) members.delete(member);
    });
  });
  server.maxConnections = maxMembers + 16;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const usage = process.memoryUsage();
    // The young generation's size is V8's choice (it grows with the allocation rate, up to
    // --max-semi-space-size), not a cost per connection: reported apart so the bench can leave it out.
    // heapPhysical: resident bytes of the whole V8 heap, live or not (V8 keeps and frees pages as
    // it likes, megabytes at a time: RSS moves by more than a few thousand connections cost).
    const spaces = getHeapSpaceStatistics();
    const newSpace = spaces.find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;
    const heapPhysical = spaces.reduce((sum, space) => sum + space.physical_space_size, 0);
    send({ type: 'memory', rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers, newSpace, heapPhysical });
  }
});
if (mode !== 'ours' && mode !== 'bare') throw new Error(`unknown mode ${String(mode)}`);
send({ type: 'ready', port: await (mode === 'ours' ? startOurs() : startBare()) });
// Exit through process.exit so that `--cpu-prof` (when profiling the server) writes its profile.
process.on('SIGTERM', () => process.exit(0));
