/**
 * What the Redis chat tests share: the URL (NETLAB_REDIS_URL), a fresh room per test (its keys
 * deleted afterwards), a private redis-server on a free port for the restart test, chat server
 * processes, and members that are raw TCP clients recording every line they read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type ExerciseServerProcess, startExerciseServer } from '@netlab/exercise-kit/testing';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.NETLAB_REDIS_URL;
export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** A room name no other test uses. */
export function freshRoom(): string {
  return `test-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key of `room` (SCAN, not KEYS: the shared Redis serves other helpers too). */
export async function deleteRoom(url: string, room: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `netlab:chat:{${room}}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/** Resolves when `check(text so far)` holds for the stream's text; rejects after `timeoutMs`. */
export function waitForText(stream: NodeJS.ReadableStream, read: () => string, check: (text: string) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (!check(read())) return;
      clearTimeout(timer);
      stream.off('data', onData);
      resolve();
    };
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`${what}: not seen within ${timeoutMs} ms; got:\n${read().slice(-2000)}`));
    }, timeoutMs);
    stream.on('data', onData);
    onData();
  });
}

/** A chat server process on the room; its server id comes from its startup log. */
export async function startRoomServer(url: string, room: string, extra: readonly string[] = []): Promise<ExerciseServerProcess & { serverId: () => string }> {
  const server = await startExerciseServer(MAIN, 'chat', 'tcp', ['--redis', url, '--room', room, '--flood-rate', '10000', '--flood-burst', '10000', ...extra]);
  return {
    ...server,
    serverId: () => /as server (\S+)/u.exec(server.proc.stderr())?.[1] ?? '',
  };
}

/** A free loopback TCP port, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** A redis-server of this test's own (no persistence), on `port`; ended by its PID. */
export interface OwnRedis {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export async function startOwnRedis(port: number): Promise<OwnRedis> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  try {
    await Promise.race([
      waitForText(child.stdout, () => out, (text) => text.includes('Ready to accept connections'), 15_000, `redis-server on ${port}`),
      exited.then(() => {
        throw new Error(`redis-server on ${port} exited: ${out.slice(-500)}`);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const pid = child.pid;
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

/** A member: a raw TCP connection that logs in and keeps every line it reads. */
export class Member {
  readonly lines: string[] = [];
  private partial = '';
  private readonly waiters = new Set<() => void>();
  closed = false;

  private constructor(
    readonly name: string,
    private readonly socket: net.Socket,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const waiter of [...this.waiters]) waiter();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  /** Connects to `port` and sends `name` (not awaiting the welcome: see {@link joined}). */
  static async connect(port: number, name: string): Promise<Member> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const member = new Member(name, socket);
    member.send(name);
    return member;
  }

  /** Connects and waits for the welcome. */
  static async join(port: number, name: string): Promise<Member> {
    const member = await Member.connect(port, name);
    await member.waitFor((lines) => lines.includes(`Welcome, ${name}!`) || lines.some((l) => l.startsWith('ERROR')), `welcome of ${name}`);
    if (!member.lines.includes(`Welcome, ${name}!`)) throw new Error(`${name} was refused: ${member.lines.join(' | ')}`);
    return member;
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  /** Resolves when `check(lines)` holds; rejects after `timeoutMs` (or when the connection closed first). */
  waitFor(check: (lines: readonly string[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const test = (): void => {
        if (check(this.lines)) {
          clearTimeout(timer);
          this.waiters.delete(test);
          resolve();
        } else if (this.closed) {
          clearTimeout(timer);
          this.waiters.delete(test);
          reject(new Error(`${this.name}: closed before ${what}; lines: ${this.lines.slice(-20).join(' | ')}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(test);
        reject(new Error(`${this.name}: ${what} not seen within ${timeoutMs} ms; last lines: ${this.lines.slice(-20).join(' | ')}`));
      }, timeoutMs);
      this.waiters.add(test);
      test();
    });
  }

  /** Waits for the exact line `line`. */
  waitForLine(line: string, timeoutMs?: number): Promise<void> {
    return this.waitFor((lines) => lines.includes(line), JSON.stringify(line), timeoutMs);
  }

  /** The lines after the first `from` line (exclusive). */
  after(from: string): string[] {
    const at = this.lines.indexOf(from);
    return at === -1 ? [] : this.lines.slice(at + 1);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
