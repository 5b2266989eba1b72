/**
 * A live capture on loopback (root only) decodes with the dissector exactly as the pcapng netlab
 * synthesises from its own trace of the same exchange.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { traceToPcapng } from '../src/index.js';
import { memoryTracer, startEchoServer, tracedTcpConversation } from './relay.js';
import { DISSECTOR, HAS_TSHARK, NO_TSHARK, tempDir, tshark } from './tshark.js';

const IS_ROOT = process.getuid?.() === 0;
const REASON = !HAS_TSHARK ? NO_TSHARK : 'not running as root, so no live capture on lo';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Waits (bounded) until `stream` has printed text matching `pattern`. */
function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; got ${JSON.stringify(text)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (!pattern.test(text)) return;
      clearTimeout(timer);
      stream.off('data', onData);
      resolve();
    };
    stream.on('data', onData);
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => { reject(new Error('tshark did not stop')); }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** role, line and command of every netlab line of TCP stream 0, in order. */
function decodedLines(file: string, port: number): string[] {
  const result = tshark(['-r', file, '-X', `lua_script:${DISSECTOR}`, '-o', `netlab.echo_port:${port}`, '-Y', 'tcp.stream == 0 && netlab.line', '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=\u0001', '-e', 'netlab.role', '-e', 'netlab.line', '-e', 'netlab.command']);
  expect(result.stderr).toBe('');
  return result.stdout
    .trim()
    .split('\n')
    .flatMap((row) => {
      const [role = '', lines = '', commands = ''] = row.split('|');
      const commandList = commands.split('\u0001');
      return lines.split('\u0001').map((line, index) => `${role} ${line} [${commandList[index] ?? ''}]`);
    });
}

describe.skipIf(!HAS_TSHARK || !IS_ROOT)(HAS_TSHARK && IS_ROOT ? 'a live loopback capture' : `a live loopback capture (SKIPPED: ${REASON})`, { timeout: 90_000 }, () => {
  beforeAll(() => {
    if (!HAS_TSHARK || !IS_ROOT) console.warn(`live capture test skipped: ${REASON}`);
  });

  it('decodes with netlab.lua the same way as the pcapng synthesised from the trace', async () => {
    const echo = await startEchoServer();
    cleanups.push(() => echo.close());
    const dir = tempDir();
    cleanups.push(() => { dir.remove(); });
    const live = dir.file('live.pcapng');
    const capture = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${echo.port}`, '-w', live, '-P', '-l'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => {
      capture.kill('SIGKILL');
    });
    // "Capture started" comes once dumpcap has the filter on the socket; "Capturing on" comes earlier.
    await waitForOutput(capture.stderr, /Capture started/, 15_000);

    const { tracer, records } = memoryTracer('echo-client', 'client');
    const received = await tracedTcpConversation(echo.port, ['hello\n', 'grüß dich\n', 'bye\n'], tracer);
    expect(received).toBe('hello\ngrüß dich\nGoodbye\n');
    // A second, reset connection marks the end: once tshark prints its RST, everything before it is in the file.
    const sentinel = net.connect(echo.port, '127.0.0.1', () => sentinel.resetAndDestroy());
    sentinel.on('error', () => undefined);
    await waitForOutput(capture.stdout, /RST/, 15_000);
    capture.kill('SIGINT');
    await exited(capture, 15_000);

    const synthetic = dir.file('synthetic.pcapng', traceToPcapng(records()));
    const fromLive = decodedLines(live, echo.port);
    expect(fromLive).toEqual(['request hello [echo]', 'reply hello [reply]', 'request grüß dich [echo]', 'reply grüß dich [reply]', 'request bye [bye]', 'reply Goodbye [reply]']);
    expect(decodedLines(synthetic, echo.port)).toEqual(fromLive);
  });
});
