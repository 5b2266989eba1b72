import { fileURLToPath } from 'node:url';
import { type CliProcess, connectRawTcp, spawnTs } from '@netlab/exercise-kit/testing';
import { type WsClient, connectWs, createWsTextCodec } from '@netlab/transport-ws';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Reads pushed lines until `line` arrives (each wait bounded); returns every line read. */
async function readUntil(client: WsClient<string, string>, line: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const next = await client.receive({ timeoutMs: 10_000 });
    seen.push(next);
    if (next === line) return seen;
  }
}

async function startChat(args: readonly string[]): Promise<{ proc: CliProcess; tcpPort: number; wsPort: number }> {
  const proc = spawnTs(MAIN, ['server', '--port', '0', '--ws', '0', ...args]);
  cleanups.push(() => proc.stop('SIGKILL'));
  const tcp = await proc.waitForLine(/^chat listening on tcp:\/\/127\.0\.0\.1:(\d+)$/, 20_000);
  const ws = await proc.waitForLine(/^chat listening on ws:\/\/127\.0\.0\.1:(\d+)$/, 20_000);
  return { proc, tcpPort: Number(tcp[1]), wsPort: Number(ws[1]) };
}

describe('netlab chat server --ws (real process)', () => {
  it('holds TCP and WebSocket members in one room: lines go both ways', TIMEOUT, async () => {
    const { proc, tcpPort, wsPort } = await startChat([]);
    const nc = await connectRawTcp(tcpPort);
    cleanups.push(() => {
      nc.destroy();
      return undefined;
    });
    nc.write('netcat\n');
    await nc.waitForLines(2);
    const browser = await connectWs({ url: `ws://127.0.0.1:${wsPort}/`, codec: createWsTextCodec() });
    cleanups.push(() => browser.close());
    browser.send('browser');
    await readUntil(browser, 'browser has joined the chat.');
    await nc.waitForLines(3);
    expect(nc.text()).toContain('browser has joined the chat.\n');

    browser.send('hello from the web');
    await readUntil(browser, 'browser: hello from the web');
    await nc.waitForLines(4);
    expect(nc.text().split('\n')).toContain('browser: hello from the web');

    nc.write('hi browser, from nc\n');
    await readUntil(browser, 'netcat: hi browser, from nc');
    browser.send('/who');
    await readUntil(browser, 'Members (2): netcat, browser');
    expect(proc.stderr()).toMatch(/^chat: websocket from 127\.0\.0\.1:\d+$/m);
  });

  it('answers a WebSocket line over --max-line-bytes like a TCP one, then closes with 1008', TIMEOUT, async () => {
    const { wsPort } = await startChat(['--max-line-bytes', '64']);
    const browser = await connectWs({ url: `ws://127.0.0.1:${wsPort}/`, codec: createWsTextCodec({ maxMessageBytes: 1024 }) });
    cleanups.push(() => browser.close());
    browser.send('x'.repeat(65));
    expect(await browser.receive({ timeoutMs: 10_000 })).toBe('ERROR line too long');
    expect((await browser.closed).code).toBe(1008);
  });

  it('refuses a busy --ws port with one error line and exit 1', TIMEOUT, async () => {
    const { wsPort } = await startChat([]);
    const second = spawnTs(MAIN, ['server', '--port', '0', '--ws', String(wsPort)]);
    cleanups.push(() => second.stop('SIGKILL'));
    expect(await second.exited(20_000)).toBe(1);
    expect(second.stderr()).toMatch(new RegExp(`^error: cannot listen on ws://127\\.0\\.0\\.1:${wsPort}: `, 'm'));
  });
});
