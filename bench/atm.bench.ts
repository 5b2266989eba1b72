/**
 * ATM benchmark (standalone: `node --import tsx bench/atm.bench.ts`, ~25 s): durable withdrawals
 * per second end to end: 64 ATMs, each its own TCP connection and request-log client, against a
 * real `netlab atm server` process on a SQLite store (WAL, synchronous=FULL). A withdrawal is two
 * durable requests (authorization, then confirmation). Compared in the same run with the same
 * server started with `--no-group-commit` (one transaction, one fsync, per request): the ratio
 * shows whether group commit works end to end, through the transport and the service.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplyEnvelope, type RequestEnvelope, createClientStreamCodec } from '@netlab/request-log';
import { type TcpClient, connectTcp } from '@netlab/transport-tcp';
import { type AtmChannels, DEMO_ACCOUNTS, createAtmChannels, createAtmClient } from '@netlab/service-atm';
import { fmt, table, verdict } from './harness.js';

const CLIENTS = 64;
const DURATION_MS = Number(process.env.NETLAB_BENCH_MS ?? 6_000);
const WARMUP_MS = 1_000;
const MAIN = join(import.meta.dirname, '..', 'apps', 'atm', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-atm-'));
// NETLAB_BENCH_PROF=DIR: each server writes a V8 CPU profile into DIR when it stops (SIGTERM).
const PROF_DIR = process.env.NETLAB_BENCH_PROF;
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startServer(store: string, extra: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const prof = PROF_DIR === undefined || PROF_DIR === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', PROF_DIR];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', MAIN, 'server', '--port', '0', '--store', store, ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
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
  readonly channels: AtmChannels;
  readonly flows: ReturnType<typeof createAtmClient>;
}

async function openAtm(port: number, index: number): Promise<Atm> {
  const tcp = await connectTcp({ codec: createClientStreamCodec(), port });
  // One channel (request-log client id) per login, all on this ATM's one connection.
  const channels = createAtmChannels({ send: (request) => tcp.send(request), initialRetransmitMs: 5_000, maxRetransmitMs: 10_000 });
  void (async () => {
    for await (const reply of tcp) channels.receive(reply);
  })().catch(() => undefined);
  const flows = createAtmClient({ connect: () => channels.connect() });
  const account = DEMO_ACCOUNTS[index % DEMO_ACCOUNTS.length] ?? DEMO_ACCOUNTS[0];
  if (account === undefined) throw new Error('no account');
  const login = await flows.login(account.card, account.pin);
  if (login.code !== 'APPROVED') throw new Error(`login: ${login.code}`);
  return { tcp, channels, flows };
}

interface Variant {
  readonly name: string;
  readonly child: ChildProcess;
  readonly atms: readonly Atm[];
  count: number;
  failures: number;
  ms: number;
  /** CPU time (ms) used during the counted slices by the server process and by this load generator. */
  serverCpuMs: number;
  clientCpuMs: number;
}

/** User + system CPU time (ms) of a process, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
    const fields = readFileSync(`/proc/${String(pid)}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function open(groupCommit: boolean): Promise<Variant> {
  const name = groupCommit ? 'group' : 'single';
  const { child, port } = await startServer(`sqlite:${join(dir, `atm-${name}.db`)}`, groupCommit ? ['--pin-cost', '4'] : ['--pin-cost', '4', '--no-group-commit']);
  const atms = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => openAtm(port, i)));
  return { name, child, atms, count: 0, failures: 0, ms: 0, serverCpuMs: 0, clientCpuMs: 0 };
}

/** Runs every ATM of `variant` for `ms`; counts completed withdrawals when `counted`. */
async function slice(variant: Variant, ms: number, counted: boolean): Promise<void> {
  const started = performance.now();
  const deadline = started + ms;
  const serverCpu = processCpuMs(variant.child.pid);
  const clientCpu = process.cpuUsage();
  await Promise.all(
    variant.atms.map(async (atm) => {
      while (performance.now() < deadline) {
        const result = await atm.flows.withdraw(1);
        if (result.status !== 'dispensed') variant.failures++;
        else if (counted) variant.count++;
      }
    }),
  );
  if (counted) {
    variant.ms += performance.now() - started;
    variant.serverCpuMs += processCpuMs(variant.child.pid) - serverCpu;
    const used = process.cpuUsage(clientCpu);
    variant.clientCpuMs += (used.user + used.system) / 1000;
  }
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
    atm.channels.close();
    await atm.tcp.close();
  }
  await stop(variant.child);
}
const rate = (variant: Variant): number => (variant.count * 1000) / Math.max(variant.ms, 1);
/** CPU time as a share of one core over the measured wall time. */
const cpuShare = (cpuMs: number, wallMs: number): string => (Number.isNaN(cpuMs) ? 'n/a' : `${String(Math.round((cpuMs / Math.max(wallMs, 1)) * 100))}% of a core`);

table(
  `ATM: durable withdrawals/s over TCP, SQLite (WAL, synchronous=FULL), ${CLIENTS} ATMs, ${DURATION_MS / 1000} s each`,
  ['server', 'withdrawals/s', 'durable requests/s', 'failed', 'server CPU', 'load generator CPU'],
  [grouped, single].map((variant) => [
    variant === grouped ? 'group commit (default)' : 'one transaction per request',
    fmt(rate(variant)),
    fmt(rate(variant) * 2),
    String(variant.failures),
    cpuShare(variant.serverCpuMs, variant.ms),
    cpuShare(variant.clientCpuMs, variant.ms),
  ]),
);
console.log(`\ngroup commit vs one transaction per request: ${verdict(rate(grouped) / Math.max(rate(single), 1e-9), 5)}`);
