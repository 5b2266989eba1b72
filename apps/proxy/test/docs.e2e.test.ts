import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnTs } from '@netlab/exercise-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const DOC = fileURLToPath(new URL('../../../docs/faults.md', import.meta.url));
const STARTUP = /^proxy listening on tcp:\/\/127\.0\.0\.1:(\d+) -> /;

const PYTHON = ((): string | undefined => {
  try {
    return execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
if (PYTHON === undefined) console.warn('skipping the docs/faults.md slicer example: python3 is not installed (it runs the doc’s Python clients)');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The flags of the doc's TCP slicer command (the one with --slicer-delay), without --listen/--upstream. */
function docSlicerFlags(): string[] {
  const text = readFileSync(DOC, 'utf8');
  const match = /pnpm netlab proxy (--protocol tcp [^\n]*\\\n[^\n]*--slicer-delay[^\n]*)/.exec(text);
  if (match?.[1] === undefined) throw new Error('docs/faults.md has no TCP command with --slicer-delay');
  const words = match[1].replace(/\\\n/g, ' ').trim().split(/\s+/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '--listen' || word === '--upstream') i++;
    else out.push(word);
  }
  return out;
}

async function lineEchoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

function python(code: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON ?? 'python3', ['-c', code, String(port)], { timeout: 20_000 }, (error, stdout) => {
      if (error !== null) reject(new Error(`python3 failed: ${error.message}`));
      else resolve(stdout);
    });
  });
}

const NAIVE = `
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as sock:
    sock.sendall(b"hello, fragmented world\\n")
    reply = sock.recv(1024)
    print(len(reply))
`;

const CORRECT = `
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as sock:
    sock.sendall(b"hello, fragmented world\\n")
    buffer = b""
    while not buffer.endswith(b"\\n"):
        chunk = sock.recv(1024)
        if not chunk:
            raise ConnectionError("server closed the connection mid-message")
        buffer += chunk
    print(buffer.decode().rstrip("\\n"))
`;

describe.skipIf(PYTHON === undefined)('docs/faults.md: the TCP slicer example shows the recv() bug it promises', () => {
  it('makes a single recv() return one small slice, every time, while the loop gets the whole line', { timeout: 90_000 }, async () => {
    const flags = docSlicerFlags();
    expect(flags).toEqual(expect.arrayContaining(['--slicer', '--slicer-delay']));
    const upstream = await lineEchoServer();
    const proc = spawnTs(MAIN, [...flags, '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream}`]);
    cleanups.push(() => proc.stop('SIGKILL'));
    const port = Number((await proc.waitForLine(STARTUP, 20_000))[1]);
    const sizes: number[] = [];
    for (let run = 0; run < 10; run++) sizes.push(Number((await python(NAIVE, port)).trim()));
    // "hello, fragmented world\n" is 24 bytes; every single recv() saw one slice of 1..5 bytes.
    expect(sizes.every((size) => size >= 1 && size <= 5)).toBe(true);
    expect((await python(CORRECT, port)).trim()).toBe('hello, fragmented world');
    expect(await proc.stop('SIGTERM')).toBe(0);
    // The table's sliced column (4th number) counts the cut replies.
    expect(proc.stdout()).toMatch(/^down\s+\d+\s+\d+\s+\d+\s+[1-9]\d* \(\d+\.\d%\)/m);
  });
});
