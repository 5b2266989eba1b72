/**
 * `--trace`, `--pcap` and `--hex` on real netlab processes (servers, clients, the fault proxy,
 * `netlab check`), with the files read back by the real tshark: no warnings, TCP streams
 * followed byte for byte, a datagram the proxy dropped present on one interface and absent on
 * the other. tshark checks skip with a printed reason when it is missing (CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StartedServer, runTs, startServerProcess } from '@netlab/exercise-kit/testing';
import { type TraceRecord, parseTrace } from '@netlab/trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const NETLAB = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
/** The clone's launcher, for commands a shell runs (`--server-cmd`). */
const LAUNCHER = fileURLToPath(new URL('../../../netlab', import.meta.url));
const TIMEOUT = { timeout: 120_000 };
const HAS_TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
if (!HAS_TSHARK) console.warn('tshark is not installed (apt-get install -y tshark): the captures are not read back');
const ROOT_NOTICE = /^Running as user "root" and group "root"\. This could be dangerous\.\s*$/;

let dir = '';
const started: StartedServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-wire-'));
});
afterEach(async () => {
  for (const server of started.splice(0).reverse()) await server.process.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function start(args: readonly string[]): Promise<StartedServer> {
  const server = await startServerProcess(NETLAB, args, { timeoutMs: 60_000 });
  started.push(server);
  return server;
}

/** Stops a process started here (so its trace and pcap are complete) and forgets it. */
async function stop(server: StartedServer): Promise<void> {
  started.splice(started.indexOf(server), 1);
  expect(await server.process.stop('SIGTERM')).toBe(0);
}

/** Runs tshark; stderr without the root notice must be empty (no warning about the file). */
function tshark(args: readonly string[]): string {
  const result = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
  const stderr = result.stderr.split('\n').filter((line) => line.trim() !== '' && !ROOT_NOTICE.test(line));
  expect(stderr).toEqual([]);
  expect(result.status).toBe(0);
  return result.stdout;
}

/** Both directions of TCP stream `index` as text, from `follow,tcp,ascii` (a tab marks the second node). */
function follow(file: string, index: number): { first: string; second: string } {
  const out = tshark(['-r', file, '-q', '-z', `follow,tcp,ascii,${index}`]);
  const body = out.split('\n').slice(5, -2);
  let first = '';
  let second = '';
  // Each chunk is a length line (tab-prefixed for the second node) followed by that many bytes of text.
  for (let i = 0; i < body.length; i += 1) {
    const head = body[i] ?? '';
    const match = /^(\t?)(\d+)$/.exec(head);
    if (match === null) continue;
    const length = Number(match[2]);
    let text = '';
    while (Buffer.byteLength(text) < length && i + 1 < body.length) {
      i += 1;
      text += `${body[i] ?? ''}\n`;
    }
    text = Buffer.from(text).subarray(0, length).toString();
    if (match[1] === '\t') second += text;
    else first += text;
  }
  return { first, second };
}

/** Both directions of TCP stream `index` as bytes, from `follow,tcp,raw` (hex lines; a tab marks the second node). */
function followRaw(file: string, index: number): { first: Buffer; second: Buffer } {
  let first = '';
  let second = '';
  for (const line of tshark(['-r', file, '-q', '-z', `follow,tcp,raw,${index}`]).split('\n')) {
    if (/^\t[0-9a-f]+$/.test(line)) second += line.trim();
    else if (/^[0-9a-f]+$/.test(line)) first += line;
  }
  return { first: Buffer.from(first, 'hex'), second: Buffer.from(second, 'hex') };
}

function expertProblems(file: string): string[] {
  const out = tshark(['-r', file, '-q', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-z', 'expert']);
  const sections = out.split(/\n(?=\w+ \(\d+\)\n)/);
  return sections.filter((section) => /^(Errors|Warns|Warnings) \(/.test(section));
}

const records = (file: string): TraceRecord[] => parseTrace(readFileSync(file, 'utf8'));

describe('servers and clients with --trace, --pcap and --hex', () => {
  it('writes captures tshark reads without warnings and whose stream is the conversation, byte for byte', TIMEOUT, async () => {
    const serverPcap = join(dir, 'server.pcapng');
    const clientPcap = join(dir, 'client.pcapng');
    const clientTrace = join(dir, 'client.jsonl');
    const server = await start(['echo', 'server', '--port', '0', '--pcap', serverPcap]);
    const client = await runTs(NETLAB, ['echo', 'client', '--port', String(server.port), '--pcap', clientPcap, '--trace', clientTrace, '--hex'], { input: 'hello\ngrüß dich\nbye\n' });
    expect(client.code).toBe(0);
    expect(client.stdout).toBe('hello\ngrüß dich\nGoodbye\n');
    // --hex: the wire view of each chunk on stderr, with the frame named.
    expect(client.stderr).toContain('  68 65 6c 6c 6f 0a\n  line "hello" (6 bytes)');
    expect(client.stderr).toContain('67 72 c3 bc c3 9f 20 64 69 63 68 0a');
    await stop(server);
    const trace = records(clientTrace);
    expect(trace[0]?.kind).toBe('open');
    expect(trace.at(-1)?.kind).toBe('close');
    expect(trace.filter((record) => record.kind === 'data' && record.dir === 'out').flatMap((record) => (record.kind === 'data' ? (record.messages ?? []) : []))).toEqual(['hello', 'grüß dich', 'bye']);
    if (!HAS_TSHARK) return;
    for (const file of [serverPcap, clientPcap]) {
      expect(tshark(['-r', file])).toContain('[SYN]');
      expect(expertProblems(file)).toEqual([]);
      const stream = followRaw(file, 0);
      expect(stream.first.toString('utf8')).toBe('hello\ngrüß dich\nbye\n');
      expect(stream.second.toString('utf8')).toBe('hello\ngrüß dich\nGoodbye\n');
      // The ascii view shows the same conversation (non-ASCII bytes as dots).
      expect(follow(file, 0)).toEqual({ first: 'hello\ngr.... dich\nbye\n', second: 'hello\ngr.... dich\nGoodbye\n' });
    }
  });
});

describe('the ATM over UDP (its own datagram link, not a transport client)', () => {
  it('records the client\'s request-log envelopes and what the server received; tshark reads the capture', TIMEOUT, async () => {
    const serverTrace = join(dir, 'atm-server.jsonl');
    const clientTrace = join(dir, 'atm-client.jsonl');
    const clientPcap = join(dir, 'atm-client.pcapng');
    const server = await start(['atm', 'server', '--port', '0', '--transport', 'udp', '--store', 'memory', '--pin-cost', '4', '--trace', serverTrace]);
    const client = await runTs(NETLAB, ['atm', 'client', '--port', String(server.port), '--transport', 'udp', '--card', '123456789', '--retransmit', '50', '--trace', clientTrace, '--pcap', clientPcap, 'balance'], {
      env: { NETLAB_ATM_PIN: '1234' },
    });
    expect(client).toMatchObject({ code: 0, stdout: 'OK balance 1000.00\n' });
    await stop(server);
    const sent = records(clientTrace).filter((record) => record.kind === 'data' && record.dir === 'out');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const record of sent) expect(record).toMatchObject({ role: 'client', label: 'atm', transport: 'udp', to: { addr: '127.0.0.1', port: server.port } });
    const received = records(serverTrace).filter((record) => record.kind === 'data' && record.dir === 'in');
    expect(received.length).toBeGreaterThanOrEqual(sent.length);
    if (!HAS_TSHARK) return;
    expect(expertProblems(clientPcap)).toEqual([]);
    expect(tshark(['-r', clientPcap, '-Y', 'udp', '-T', 'fields', '-e', 'udp.dstport']).trim().split('\n')).toContain(String(server.port));
  });
});

describe('--trace - and files that cannot be written', () => {
  it('writes the records to stderr with --trace -, between the log lines', TIMEOUT, async () => {
    const server = await start(['udp-hello', 'server', '--port', '0', '--trace', '-']);
    const client = await runTs(NETLAB, ['udp-hello', 'client', '--port', String(server.port), 'hi there']);
    expect(client.code).toBe(0);
    await stop(server);
    const lines = server.process.stderr().split('\n');
    const trace = parseTrace(lines.filter((line) => line.startsWith('{')).join('\n'));
    expect(trace.map((record) => (record.kind === 'data' ? `${record.dir} ${Buffer.from(record.bytes, 'base64').toString()}` : record.kind))).toEqual(['in hi there', expect.stringMatching(/^out /)]);
    expect(lines.some((line) => line.startsWith('udp-hello: '))).toBe(true);
  });

  it('refuses a trace or pcap file it cannot create with one error line, before connecting', TIMEOUT, async () => {
    const missing = join(dir, 'no-such-dir', 'run.jsonl');
    for (const flag of ['--trace', '--pcap']) {
      const result = await runTs(NETLAB, ['echo', 'client', '--port', '1', flag, missing]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: cannot ${flag === '--trace' ? 'open trace' : 'write pcap'} file ${missing}: ENOENT\n`);
    }
  });
});

describe('netlab proxy with --trace and --pcap', () => {
  it('shows a datagram it dropped on the client side and not on the server side, with the seed', TIMEOUT, async () => {
    const proxyPcap = join(dir, 'proxy.pcapng');
    const proxyTrace = join(dir, 'proxy.jsonl');
    const server = await start(['udp-datetime', 'server', '--port', '0']);
    // Seed 3 drops the client's first two datagrams at 40 % loss (the decisions are replayable).
    const proxy = await start(['proxy', '--protocol', 'udp', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.port}`, '--loss-up', '40%', '--seed', '3', '--trace', proxyTrace, '--pcap', proxyPcap]);
    const client = await runTs(NETLAB, ['udp-datetime', 'client', '--port', String(proxy.port), '--timeout', '300ms', '--retries', '6'], { input: 'SEND_DATE\nSEND_TIME\nSEND_DATE\n' });
    expect(client.code).toBe(0);
    await stop(proxy);
    const trace = records(proxyTrace);
    const drops = trace.filter((record) => record.kind === 'fault' && record.action === 'drop');
    expect(drops.length).toBeGreaterThanOrEqual(2);
    for (const drop of drops) expect(drop).toMatchObject({ role: 'proxy', side: 'client', dir: 'in', toxic: 'loss', seed: 3 });
    const arrived = trace.filter((record) => record.kind === 'data' && record.side === 'client' && record.dir === 'in').length;
    const forwarded = trace.filter((record) => record.kind === 'data' && record.side === 'server' && record.dir === 'out').length;
    expect(arrived - forwarded).toBe(drops.length);
    if (!HAS_TSHARK) return;
    expect(expertProblems(proxyPcap)).toEqual([]);
    const rows = tshark(['-r', proxyPcap, '-Y', 'udp', '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'udp.dstport', '-e', 'frame.comment'])
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const toProxy = rows.filter(([side, port]) => side === 'client-side' && port === String(proxy.port));
    const toServer = rows.filter(([side, port]) => side === 'server-side' && port === String(server.port));
    const commented = toProxy.filter(([, , comment]) => (comment ?? '').includes('drop (loss, seed 3'));
    expect(commented).toHaveLength(drops.length);
    expect(toProxy.length - toServer.length).toBe(drops.length);
  });

  it('records both legs of a TCP connection it slices; each leg is followed byte for byte', TIMEOUT, async () => {
    const proxyPcap = join(dir, 'proxy.pcapng');
    const proxyTrace = join(dir, 'proxy.jsonl');
    const server = await start(['echo', 'server', '--port', '0']);
    const proxy = await start(['proxy', '--protocol', 'tcp', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.port}`, '--slicer', '--slicer-size', '3', '--seed', '5', '--trace', proxyTrace, '--pcap', proxyPcap, '--hex']);
    const client = await runTs(NETLAB, ['echo', 'client', '--port', String(proxy.port)], { input: 'hello world\nbye\n' });
    expect(client).toMatchObject({ code: 0, stdout: 'hello world\nGoodbye\n' });
    await stop(proxy);
    expect(proxy.process.stderr()).toContain('partial line');
    const trace = records(proxyTrace);
    const slices = trace.filter((record) => record.kind === 'fault' && record.action === 'slice');
    expect(slices.length).toBeGreaterThan(0);
    for (const slice of slices) expect(slice).toMatchObject({ toxic: 'slicer', seed: 5 });
    expect(new Set(trace.filter((record) => record.kind === 'open').map((record) => (record.kind === 'open' ? record.side : undefined)))).toEqual(new Set(['client', 'server']));
    if (!HAS_TSHARK) return;
    expect(expertProblems(proxyPcap)).toEqual([]);
    expect(tshark(['-r', proxyPcap, '-q', '-z', 'conv,tcp'])).toContain(`127.0.0.1:${server.port}`);
    for (const index of [0, 1]) {
      const stream = follow(proxyPcap, index);
      expect(stream.first).toBe('hello world\nbye\n');
      expect(stream.second).toBe('hello world\nGoodbye\n');
    }
  });
});

describe('netlab check --trace', () => {
  it('records what its probes sent and received, with a note per case', TIMEOUT, async () => {
    const file = join(dir, 'check.jsonl');
    const result = await runTs(NETLAB, ['check', 'echo', '--server-cmd', `${LAUNCHER} echo server --port {port}`, '--only', 'echo.basic.line', '--no-faults', '--trace', file], {
      timeoutMs: 90_000,
    });
    expect(result.code).toBe(0);
    const trace = records(file);
    expect(trace.every((record) => record.role === 'check')).toBe(true);
    expect(trace.flatMap((record) => (record.kind === 'note' ? [record.text] : []))).toEqual([
      expect.stringMatching(/^case echo\.basic\.line: /),
      'case echo.basic.line: pass',
    ]);
    const sent = trace.find((record) => record.kind === 'data' && record.dir === 'out');
    const echoed = trace.find((record) => record.kind === 'data' && record.dir === 'in');
    expect(sent?.kind === 'data' && echoed?.kind === 'data' && sent.bytes === echoed.bytes).toBe(true);
  });
});
