/**
 * The real programs: `atm server` and `atm client` as child processes over TCP and UDP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedTcpPort, closedUdpPort, runTs, type StartedServer, startServerProcess } from '@netlab/exercise-kit/testing';
import { createPinBlock } from '@netlab/service-atm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-e2e-'));
let stores = 0;
const servers: StartedServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.process.stop('SIGTERM');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(transport: 'tcp' | 'udp', extra: readonly string[] = [], store = `sqlite:${join(dir, `atm-${++stores}.db`)}`, port = 0): Promise<StartedServer> {
  const server = await startServerProcess(MAIN, ['server', '--port', String(port), '--transport', transport, '--store', store, '--pin-cost', '4', ...extra]);
  servers.push(server);
  return server;
}

function client(server: { port: number }, transport: string, args: readonly string[], options: { pin?: string; input?: string; env?: Record<string, string> } = {}): ReturnType<typeof runTs> {
  return runTs(MAIN, ['client', '--port', String(server.port), '--transport', transport, '--retransmit', '50', ...args], {
    env: { NETLAB_ATM_PIN: options.pin ?? '1234', ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

describe.each(['tcp', 'udp'] as const)('atm over %s', (transport) => {
  it('prints the startup line of every exercise', async () => {
    const server = await startServer(transport);
    expect(server.url).toMatch(new RegExp(`^${transport}://127\\.0\\.0\\.1:\\d+$`));
    expect(server.process.stdout()).toBe(`atm listening on ${server.url}\n`);
  });

  it('answers the balance, withdraws with confirmation and deposits, one line each', async () => {
    const server = await startServer(transport);
    const card = ['--card', '123456789'];
    expect(await client(server, transport, [...card, 'balance'])).toMatchObject({ code: 0, stdout: 'OK balance 1000.00\n' });
    expect(await client(server, transport, [...card, 'withdraw', '500'])).toMatchObject({ code: 0, stdout: 'OK withdrew 500.00 balance 500.00\n' });
    expect(await client(server, transport, [...card, 'deposit', '200'])).toMatchObject({ code: 0, stdout: 'OK deposited 200.00 balance 700.00\n' });
    expect(await client(server, transport, ['--card', '1000000002', 'withdraw', '0.01'])).toMatchObject({ code: 0, stdout: 'OK withdrew 0.01 balance 45719.99\n' });
  });

  it('prints DECLINED with the code and exits 2', async () => {
    const server = await startServer(transport);
    const card = ['--card', '1000000004'];
    const cases: [readonly string[], RegExp][] = [
      [['withdraw', '1200.01'], /^DECLINED INSUFFICIENT_FUNDS insufficient funds \(balance 1200\.00\)\n$/],
      [['withdraw', '0'], /^DECLINED INVALID_AMOUNT /],
      [['withdraw', '-5'], /^DECLINED INVALID_AMOUNT the amount must be positive\n$/],
      [['deposit', 'ten'], /^DECLINED INVALID_AMOUNT not a number/],
      [['deposit', '1.234'], /^DECLINED INVALID_AMOUNT at most two decimals/],
      [['deposit', '99999999999'], /^DECLINED INVALID_AMOUNT the amount is too large/],
      [['withdraw', '20000.01'], /^DECLINED LIMIT_EXCEEDED amount exceeds the withdrawal limit of 20000\.00\n$/],
    ];
    for (const [args, expected] of cases) {
      const result = await client(server, transport, [...card, ...args]);
      expect(result.stdout).toMatch(expected);
      expect(result.code).toBe(2);
    }
    expect(await client(server, transport, [...card, 'balance'])).toMatchObject({ stdout: 'OK balance 1200.00\n' });
  });

  it('locks the card after three wrong PINs across three runs', async () => {
    const server = await startServer(transport);
    const card = ['--card', '1000000001', 'balance'];
    expect((await client(server, transport, card, { pin: '1111' })).stdout).toBe('DECLINED INCORRECT_PIN incorrect PIN (2 tries left)\n');
    expect((await client(server, transport, card, { pin: '2222' })).stdout).toBe('DECLINED INCORRECT_PIN incorrect PIN (1 try left)\n');
    expect(await client(server, transport, card, { pin: '3333' })).toMatchObject({ code: 2, stdout: 'DECLINED PIN_TRIES_EXCEEDED PIN tries exceeded: the card is locked\n' });
    expect(await client(server, transport, card, { pin: '1234' })).toMatchObject({ code: 2, stdout: 'DECLINED PIN_TRIES_EXCEEDED PIN tries exceeded: the card is locked\n' });
  });

  it('withdraws exactly once through lost requests and lost replies, saying it resent', async () => {
    const server = await startServer(transport, ['--drop-requests', '40%', '--drop-replies', '40%', '--seed', '3']);
    const result = await client(server, transport, ['--card', '123456789', 'withdraw', '100']);
    expect(result).toMatchObject({ code: 0, stdout: 'OK withdrew 100.00 balance 900.00\n' });
    expect(result.stderr).toMatch(/resending/);
    expect(await client(server, transport, ['--card', '123456789', 'balance'])).toMatchObject({ stdout: 'OK balance 900.00\n' });
  });
});

describe('atm client', () => {
  it('reads the PIN from stdin with --pin-stdin and from --pin', async () => {
    const server = await startServer('tcp');
    const viaStdin = await runTs(MAIN, ['client', '--port', String(server.port), '--card', '123456789', '--pin-stdin', 'balance'], { input: '1234\n', env: { NETLAB_ATM_PIN: undefined } });
    expect(viaStdin).toMatchObject({ code: 0, stdout: 'OK balance 1000.00\n' });
    const viaFlag = await runTs(MAIN, ['client', '--port', String(server.port), '--card', '123456789', '--pin', '1234', 'balance'], { env: { NETLAB_ATM_PIN: undefined } });
    expect(viaFlag).toMatchObject({ code: 0, stdout: 'OK balance 1000.00\n' });
  });

  it('prints ERROR and exits 1 at once when no server listens (TCP refused, UDP port unreachable), before any retransmission', async () => {
    const [tcpPort, udpPort] = await Promise.all([closedTcpPort(), closedUdpPort()]);
    // --timeout 60s: a refusal must not wait for the request's retransmission budget.
    const [tcp, udp] = await Promise.all([
      runTs(MAIN, ['client', '--port', String(tcpPort), '--card', '123456789', '--timeout', '60s', 'balance'], { env: { NETLAB_ATM_PIN: '1234' } }),
      runTs(MAIN, ['client', '--port', String(udpPort), '--transport', 'udp', '--card', '123456789', '--timeout', '60s', 'balance'], { env: { NETLAB_ATM_PIN: '1234' } }),
    ]);
    expect(tcp.code).toBe(1);
    expect(tcp.stdout).toMatch(/^ERROR no server at tcp:\/\/127\.0\.0\.1:\d+ \(connection refused; is the server running\?\)\n$/);
    expect(udp.code).toBe(1);
    expect(udp.stdout).toMatch(/^ERROR no server at udp:\/\/127\.0\.0\.1:\d+ \(port unreachable; is the server running\?\)\n$/);
    expect(udp.stderr).not.toContain('resending');
  });

  it('--json prints one JSON object per scripted run, with the same exit status', async () => {
    const server = await startServer('tcp');
    const env = { env: { NETLAB_ATM_PIN: '1234' } };
    const [withdrawn, declined, refused] = await Promise.all([
      runTs(MAIN, ['client', '--port', String(server.port), '--card', '1000000001', '--json', 'withdraw', '25'], env),
      runTs(MAIN, ['client', '--port', String(server.port), '--card', '1000000004', '--json', 'withdraw', '1500'], env),
      runTs(MAIN, ['client', '--port', String(await closedTcpPort()), '--card', '123456789', '--json', 'balance'], env),
    ]);
    expect(withdrawn.code).toBe(0);
    expect(JSON.parse(withdrawn.stdout)).toEqual({ result: 'ok', operation: 'withdraw', exitCode: 0, code: 'APPROVED', message: 'approved', amount: 2500, balance: 114400 });
    expect(declined.code).toBe(2);
    expect(JSON.parse(declined.stdout)).toMatchObject({ result: 'declined', operation: 'withdraw', exitCode: 2, code: 'INSUFFICIENT_FUNDS', balance: 120000 });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ result: 'error', operation: 'balance', exitCode: 1, message: expect.stringMatching(/^no server at tcp:/u) as unknown });
  });

  it('interactive: checks the bank before asking for card or PIN', async () => {
    const port = await closedTcpPort();
    const result = await runTs(MAIN, ['client', '--port', String(port), '--timeout', '60s'], { input: '123456789\n1234\n', env: { NETLAB_ATM_PIN: undefined } });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('Card number');
    expect(result.stdout).not.toContain('PIN');
    expect(result.stderr).toMatch(/^error: no server at tcp:\/\/127\.0\.0\.1:\d+ \(connection refused; is the server running\?\)$/mu);
  });

  it('interactive: a card locked by three wrong PINs ends with exit 2, saying "1 try left" on the way', async () => {
    const server = await startServer('tcp');
    const result = await runTs(MAIN, ['client', '--port', String(server.port), '--card', '1000000004'], { input: '1111\n2222\n3333\n', env: { NETLAB_ATM_PIN: undefined } });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Incorrect PIN: 2 tries left before the card is locked.');
    expect(result.stdout).toContain('Incorrect PIN: 1 try left before the card is locked.');
    expect(result.stdout).toContain('PIN_TRIES_EXCEEDED');
  });

  it('refuses a usage error with one line', async () => {
    const result = await runTs(MAIN, ['client', '--card', '123456789', 'withdraw'], { env: { NETLAB_ATM_PIN: '1234' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: withdraw needs an AMOUNT/);
  });

  it('runs the interactive menu from piped input; the error-rate report only when something was lost', async () => {
    const server = await startServer('udp');
    const result = await runTs(MAIN, ['client', '--port', String(server.port), '--transport', 'udp'], {
      input: '123456789\n1234\n1\n2\n100\n3\n50.25\n2\n1.001\n4\n',
      env: { NETLAB_ATM_PIN: undefined },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Welcome, Lab User.');
    expect(result.stdout).toContain('Balance: 1000.00');
    expect(result.stdout).toContain('Withdrew 100.00. Balance: 900.00');
    expect(result.stdout).toContain('Deposited 50.25. Balance: 950.25');
    expect(result.stdout).toContain('INVALID_AMOUNT: at most two decimals');
    expect(result.stdout).not.toContain('error-rate report');
    expect(result.stdout).toContain('Goodbye.');
    const lossy = await startServer('udp', ['--drop-replies', '50%', '--seed', '3']);
    const report = await runTs(MAIN, ['client', '--port', String(lossy.port), '--transport', 'udp', '--retransmit', '50'], { input: '123456789\n1234\n1\n1\n1\n4\n', env: { NETLAB_ATM_PIN: undefined } });
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/error-rate report:\n {2}requests 5, attempts \d+, retries [1-9]\d*, timeouts 0,\n {2}replies served from the log [1-9]\d*, observed loss [\d.]+%/);
  });
});

describe('the server', () => {
  it('carries on after a crash between commit and reply: the retransmission is answered from the log', async () => {
    const store = `sqlite:${join(dir, 'crash.db')}`;
    const first = await startServer('tcp', ['--crash-after-commit', '100%'], store);
    const running = client(first, 'tcp', ['--card', '123456789', '--timeout', '20s', 'withdraw', '300']);
    // Every fresh commit kills it; restart it on the same store and port until the client is done.
    let restarts = 0;
    let current = first;
    for (;;) {
      const ended = await Promise.race([current.process.exited(30_000).then(() => 'crashed' as const), running.then(() => 'done' as const)]);
      if (ended === 'done') break;
      restarts++;
      expect(current.process.stderr()).toMatch(/fault: crashing after the commit of .*:\d+, before its reply/);
      current = await startServer('tcp', restarts < 3 ? ['--crash-after-commit', '100%'] : [], store, first.port);
    }
    const result = await running;
    expect(result).toMatchObject({ code: 0, stdout: 'OK withdrew 300.00 balance 700.00\n' });
    expect(restarts).toBeGreaterThanOrEqual(3);
    expect(await client(current, 'tcp', ['--card', '123456789', 'balance'])).toMatchObject({ stdout: 'OK balance 700.00\n' });
  });

  it('never writes a PIN or a PIN block to any output, whatever happens', async () => {
    const server = await startServer('udp', ['--drop-replies', '30%', '--drop-requests', '30%']);
    const outputs: string[] = [];
    const pins = ['739104', '1234'];
    for (const pin of pins) {
      const result = await client(server, 'udp', ['--card', '123456789', 'withdraw', '10'], { pin });
      outputs.push(result.stdout, result.stderr);
    }
    const badFormat = await client(server, 'udp', ['--card', '123456789', 'balance'], { pin: '12x9' });
    outputs.push(badFormat.stdout, badFormat.stderr);
    await server.process.stop('SIGTERM');
    outputs.push(server.process.stdout(), server.process.stderr());
    const everything = outputs.join('\n');
    expect(everything).toContain('DECLINED INCORRECT_PIN');
    expect(everything).toContain('OK withdrew 10.00');
    for (const secret of ['739104', '12x9', createPinBlock('123456789', '739104'), createPinBlock('123456789', '1234')]) expect(everything).not.toContain(secret);
  });
});
