/**
 * ATM benchmark (`pnpm bench atm`, ~35 s): durable withdrawals per second end to end: 64 ATMs,
 * each its own TCP connection and request-log client, against a real `netlab atm server` process
 * on a SQLite store (WAL, synchronous=FULL). A withdrawal is two durable requests (authorization,
 * then confirmation). Three servers run side by side, measured in interleaved one-second slices
 * (A B C A B C …): the default (group commit, the WAL fsynced on the thread pool while the event
 * loop runs the next batch), `--inline-sync` (group commit, fsync inside COMMIT on the event loop:
 * the writer before issue 16) and `--no-group-commit` (one transaction, one fsync, per request).
 * The per-slice ratios show what each step buys end to end, through the transport and the service.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplyEnvelope, type RequestEnvelope, createClientStreamCodec } from '@netlab/request-log';
import { type TcpClient, connectTcp } from '@netlab/transport-tcp';
import { type AtmChannels, DEMO_ACCOUNTS, createAtmChannels, createAtmClient } from '@netlab/service-atm';
import { figure, fmt, sliceRatios, spreadOf, table, verdictSpread } from './harness.js';

const CLIENTS = 64;
const DURATION_MS = Number(process.env.NETLAB_BENCH_MS ?? 7_000);
const SLICE_MS = 1_000;
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
  /** Withdrawals per second of each counted slice, in slice order. */
  readonly rates: number[];
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

async function open(name: string, flags: readonly string[]): Promise<Variant> {
  const { child, port } = await startServer(`sqlite:${join(dir, `atm-${name}.db`)}`, ['--pin-cost', '4', ...flags]);
  const atms = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => openAtm(port, i)));
  return { name, child, atms, count: 0, failures: 0, ms: 0, rates: [], serverCpuMs: 0, clientCpuMs: 0 };
}

/** Runs every ATM of `variant` for `ms`; counts completed withdrawals when `counted`. */
async function slice(variant: Variant, ms: number, counted: boolean): Promise<void> {
  const started = performance.now();
  const deadline = started + ms;
  const serverCpu = processCpuMs(variant.child.pid);
  const clientCpu = process.cpuUsage();
  const before = variant.count;
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
    const elapsed = performance.now() - started;
    variant.ms += elapsed;
    variant.rates.push(((variant.count - before) * 1000) / Math.max(elapsed, 1));
    variant.serverCpuMs += processCpuMs(variant.child.pid) - serverCpu;
    const used = process.cpuUsage(clientCpu);
    variant.clientCpuMs += (used.user + used.system) / 1000;
  }
}

// The servers run side by side and are measured in alternating one-second slices, so load from
// other processes on a shared machine hits them alike.
const background = await open('background', []);
const inline = await open('inline', ['--inline-sync']);
const single = await open('single', ['--no-group-commit']);
const variants = [background, inline, single];
for (const variant of variants) await slice(variant, WARMUP_MS, false);
for (let elapsed = 0; elapsed < DURATION_MS; elapsed += SLICE_MS) {
  for (const variant of variants) await slice(variant, SLICE_MS, true);
}
for (const variant of variants) {
  for (const atm of variant.atms) {
    atm.channels.close();
    await atm.tcp.close();
  }
  await stop(variant.child);
}
/** CPU time as a share of one core over the measured wall time. */
const cpuShare = (cpuMs: number, wallMs: number): string => (Number.isNaN(cpuMs) ? 'n/a' : `${String(Math.round((cpuMs / Math.max(wallMs, 1)) * 100))}% of a core`);
const labels = new Map([
  [background, 'group commit, fsync on the thread pool (default)'],
  [inline, 'group commit, fsync on the event loop (--inline-sync)'],
  [single, 'one transaction per request (--no-group-commit)'],
]);

table(
  `ATM: durable withdrawals/s over TCP, SQLite (WAL, synchronous=FULL), ${CLIENTS} ATMs, ${String(background.rates.length)} interleaved ${String(SLICE_MS / 1000)} s slices each`,
  ['server', 'withdrawals/s (median, range)', 'durable requests/s', 'failed', 'server CPU', 'load generator CPU'],
  variants.map((variant) => {
    const rate = spreadOf(variant.rates);
    return [
      labels.get(variant) ?? variant.name,
      `${fmt(rate.median)} (${fmt(rate.min)}–${fmt(rate.max)})`,
      fmt(rate.median * 2),
      String(variant.failures),
      cpuShare(variant.serverCpuMs, variant.ms),
      cpuShare(variant.clientCpuMs, variant.ms),
    ];
  }),
);
const vsSingle = sliceRatios(background.rates, single.rates);
const vsInline = sliceRatios(background.rates, inline.rates);
const inlineVsSingle = sliceRatios(inline.rates, single.rates);
console.log(`\nbackground fsync vs one transaction per request: ${verdictSpread(vsSingle, 8)}`);
console.log(`background fsync vs fsync on the event loop:     ${verdictSpread(vsInline, 2)}`);
console.log(`fsync on the event loop vs one tx per request:   ${verdictSpread(inlineVsSingle, 5)}`);
figure('atm durable withdrawals/s, 64 ATMs, SQLite FULL, group commit, background fsync', spreadOf(background.rates), '1/s');
figure('atm durable withdrawals/s, 64 ATMs, SQLite FULL, group commit, fsync on the event loop', spreadOf(inline.rates), '1/s');
figure('atm durable withdrawals/s, 64 ATMs, SQLite FULL, one tx per request', spreadOf(single.rates), '1/s');
figure('atm withdrawals/s, background fsync / one tx per request', vsSingle, 'ratio', '>= 8');
figure('atm withdrawals/s, background fsync / fsync on the event loop', vsInline, 'ratio', '>= 2');
figure('atm withdrawals/s, fsync on the event loop / one tx per request', inlineVsSingle, 'ratio');
