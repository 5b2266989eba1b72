/**
 * `atm server --ws PORT`: the same bank (one ledger, one request log) over WebSocket, one JSON
 * envelope per binary frame, driven by the protocol-document terminal of @netlab/testing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliProcess, runTs, spawnTs } from '@netlab/exercise-kit/testing';
import { AtmTerminal, type BankConnection, type WireReply, type WireRequest, replyValue } from '@netlab/testing/compliance';
import { createTextCodec } from '@netlab/codec';
import { connectWs, createWsMessageCodec } from '@netlab/transport-ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-ws-'));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function startBank(extra: readonly string[] = []): Promise<{ proc: CliProcess; tcpPort: number; wsPort: number }> {
  const proc = spawnTs(MAIN, ['server', '--port', '0', '--ws', '0', '--store', `sqlite:${join(dir, `atm-${String(Date.now())}-${String(cleanups.length)}.db`)}`, '--pin-cost', '4', ...extra]);
  cleanups.push(() => proc.stop('SIGTERM'));
  const tcp = await proc.waitForLine(/^atm listening on tcp:\/\/127\.0\.0\.1:(\d+)$/, 30_000);
  const ws = await proc.waitForLine(/^atm listening on ws:\/\/127\.0\.0\.1:(\d+)$/, 30_000);
  return { proc, tcpPort: Number(tcp[1]), wsPort: Number(ws[1]) };
}

async function wsBank(port: number): Promise<BankConnection> {
  const client = await connectWs({ url: `ws://127.0.0.1:${port}/`, codec: createWsMessageCodec(createTextCodec(), undefined, { maxMessageBytes: 65_507 }) });
  cleanups.push(() => client.close());
  return {
    async send(envelope: WireRequest): Promise<readonly WireReply[]> {
      const reply = await client.request(JSON.stringify(envelope), { timeoutMs: 15_000 });
      return [JSON.parse(reply) as WireReply];
    },
  };
}

describe('atm server --ws (real process)', () => {
  it('serves the same books over WebSocket and TCP: a withdrawal over ws shows in a TCP balance', { timeout: 90_000 }, async () => {
    const { tcpPort, wsPort } = await startBank();
    const atm = new AtmTerminal(await wsBank(wsPort));
    expect(await atm.login('123456789', '1234')).toMatchObject({ code: 'APPROVED' });
    expect(await atm.op({ op: 'withdraw', withdrawal: 'w-ws-1', amount: 25_000 })).toMatchObject({ code: 'APPROVED', balance: 75_000 });
    expect(await atm.op({ op: 'confirm', withdrawal: 'w-ws-1' })).toMatchObject({ code: 'APPROVED', amount: 25_000 });
    const tcp = await runTs(MAIN, ['client', '--port', String(tcpPort), '--card', '123456789', 'balance'], { env: { NETLAB_ATM_PIN: '1234' } });
    expect(tcp).toMatchObject({ code: 0, stdout: 'OK balance 750.00\n' });
  });

  it('answers a retransmitted withdrawal over ws from the log instead of withdrawing twice', { timeout: 90_000 }, async () => {
    const { wsPort } = await startBank();
    const atm = new AtmTerminal(await wsBank(wsPort));
    expect(await atm.login('123456789', '1234')).toMatchObject({ code: 'APPROVED' });
    const request = { op: 'withdraw', session: atm.session, withdrawal: 'w-1', amount: 10_000 };
    const first = await atm.raw(2, request, 1);
    const again = await atm.raw(2, request, 1);
    expect(first).toMatchObject({ status: 'done', replay: false });
    expect(again).toMatchObject({ status: 'done', replay: true });
    expect(again.status === 'done' && first.status === 'done' && again.body === first.body).toBe(true);
    expect(replyValue(await atm.raw(3, { op: 'balance', session: atm.session }, 2))).toMatchObject({ code: 'APPROVED', balance: 90_000 });
  });
});
