/**
 * ATM benchmark (standalone: `node --import tsx bench/atm.bench.ts`, ~25 s): durable withdrawals
 * per second end to end: 64 ATMs, each its own TCP connection and request-log client, against a
 * real `netlab atm server` process on a SQLite store (WAL, synchronous=FULL). A withdrawal is two
 * durable requests (authorization, then confirmation). Compared in the same run with the same
 * server started with `--no-group-commit` (one transaction, one fsync, per request): the ratio
 * shows whether group commit works end to end, through the transport and the service.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, type ReplyEnvelope, type RequestEnvelope, createClient, createClientStreamCodec } from '@netlab/request-log';
import { type TcpClient, connectTcp } from '@netlab/transport-tcp';
import { DEMO_ACCOUNTS, createAtmClient } from '@netlab/service-atm';
import { fmt, table, verdict } from './harness.js';

const CLIENTS = 64;
const DURATION_MS = Number(process.env.NETLAB_BENCH_MS ?? 6_000);
const WARMUP_MS = 1_000;
const MAIN = join(import.meta.dirname, '..', 'apps', 'atm', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-atm-'));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startServer(store: string, extra: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'server', '--port', '0', '--store', store, ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error('server did not start within 30 s'));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on tcp:\/\/[^:]+:(\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  children.delete(child);
}

interface Atm {
  readonly tcp: TcpClient<ReplyEnvelope, RequestEnvelope>;
  readonly client: Client;
  readonly flows: ReturnType<typeof createAtmClient>;
}

async function openAtm(port: number, index: number): Promise<Atm> {
  const tcp = await connectTcp({ codec: createClientStreamCodec(), port });
  const client = createClient({ send: (request) => tcp.send(request), initialRetransmitMs: 5_000, maxRetransmitMs: 10_000 });
  void (async () => {
    for await (const reply of tcp) client.receive(reply);
  })().catch(() => undefined);
  const flows = createAtmClient({ call: (request) => client.call(request) });
  const account = DEMO_ACCOUNTS[index % DEMO_ACCOUNTS.length] ?? DEMO_ACCOUNTS[0];
  if (account === undefined) throw new Error('no account');
  const login = await flows.login(account.card, account.pin);
  if (login.code !== 'APPROVED') throw new Error(`login: ${login.code}`);
  return { tcp, client, flows };
}

interface Variant {
  readonly name: string;
  readonly child: ChildProcess;
  readonly atms: readonly Atm[];
  count: number;
  failures: number;
  ms: number;
}

async function open(groupCommit: boolean): Promise<Variant> {
  const name = groupCommit ? 'group' : 'single';
  const { child, port } = await startServer(`sqlite:${join(dir, `atm-${name}.db`)}`, groupCommit ? ['--pin-cost', '4'] : ['--pin-cost', '4', '--no-group-commit']);
  const atms = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => openAtm(port, i)));
  return { name, child, atms, count: 0, failures: 0, ms: 0 };
}

/** Runs every ATM of `variant` for `ms`; counts completed withdrawals when `counted`. */
async function slice(variant: Variant, ms: number, counted: boolean): Promise<void> {
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    variant.atms.map(async (atm) => {
      while (performance.now() < deadline) {
        const result = await atm.flows.withdraw(1);
        if (result.status !== 'dispensed') variant.failures++;
        else if (counted) variant.count++;
      }
    }),
  );
  if (counted) variant.ms += performance.now() - started;
}

// Both servers run side by side and are measured in alternating one-second slices, so load from
// other processes on a shared machine hits both alike.
const grouped = await open(true);
const single = await open(false);
await slice(grouped, WARMUP_MS, false);
await slice(single, WARMUP_MS, false);
for (let elapsed = 0; elapsed < DURATION_MS; elapsed += 1_000) {
  await slice(grouped, 1_000, true);
  await slice(single, 1_000, true);
}
for (const variant of [grouped, single]) {
  for (const atm of variant.atms) {
    atm.client.close();
    await atm.tcp.close();
  }
  await stop(variant.child);
}
const rate = (variant: Variant): number => (variant.count * 1000) / Math.max(variant.ms, 1);

table(
  `ATM: durable withdrawals/s over TCP, SQLite (WAL, synchronous=FULL), ${CLIENTS} ATMs, ${DURATION_MS / 1000} s each`,
  ['server', 'withdrawals/s', 'durable requests/s', 'failed'],
  [
    ['group commit (default)', fmt(rate(grouped)), fmt(rate(grouped) * 2), String(grouped.failures)],
    ['one transaction per request', fmt(rate(single)), fmt(rate(single) * 2), String(single.failures)],
  ],
);
console.log(`\ngroup commit vs one transaction per request: ${verdict(rate(grouped) / Math.max(rate(single), 1e-9), 5)}`);
