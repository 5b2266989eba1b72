import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DataRecord, type TraceRecord, traceToPcapng } from '../src/index.js';
import {
  SEED,
  memoryTracer,
  startDatetimeServer,
  startEchoServer,
  startTcpRelay,
  startUdpRelay,
  tcpConversation,
  udpRequests,
} from './relay.js';
import { HAS_TSHARK, NO_TSHARK, followRaw, tempDir, tshark } from './tshark.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real echo session through the recording relay, which slices every client chunk at byte 3. */
async function echoThroughRelay(host = '127.0.0.1'): Promise<{ records: TraceRecord[]; received: string }> {
  const { tracer, records, waitFor } = memoryTracer();
  const echo = await startEchoServer(host);
  cleanups.push(() => echo.close());
  const relay = await startTcpRelay({ upstreamPort: echo.port, tracer, sliceAt: 3, host });
  cleanups.push(() => relay.close());
  const received = await tcpConversation(relay.port, ['hello\n', 'grüß dich\n', 'bye\n'], host);
  await waitFor((record) => record.kind === 'close', 2); // the relay saw both legs close
  return { records: records(), received };
}

/** A real udp-datetime run through the recording relay, which drops the client's second datagram. */
async function datetimeThroughRelay(): Promise<{ records: TraceRecord[]; replies: string[] }> {
  const { tracer, records } = memoryTracer();
  const server = await startDatetimeServer();
  cleanups.push(() => server.close());
  const relay = await startUdpRelay({ upstreamPort: server.port, tracer, dropUp: [2] });
  cleanups.push(() => relay.close());
  const replies = await udpRequests(relay.port, ['SEND_DATE', 'SEND_TIME', 'HELLO'], { retransmitMs: 250 });
  return { records: records(), replies };
}

const hex = (records: readonly TraceRecord[], keep: (record: DataRecord) => boolean): string =>
  records
    .filter((record): record is DataRecord => record.kind === 'data' && keep(record))
    .map((record) => Buffer.from(record.bytes, 'base64').toString('hex'))
    .join('');

describe('real traces from loopback sockets', () => {
  it('records both legs of a proxied echo session, with connection events and the slice decisions', async () => {
    const { records, received } = await echoThroughRelay();
    expect(received).toBe('hello\ngrüß dich\nGoodbye\n');
    const kinds = (side: string): string[] => records.filter((record) => record.side === side && record.kind !== 'data' && record.kind !== 'fault').map((record) => `${record.kind}:${record.dir ?? ''}`);
    expect(kinds('client')).toEqual(['open:in', 'end:out', 'end:in', 'close:in']);
    expect(kinds('server')).toEqual(['open:out', 'end:in', 'end:out', 'close:out']);
    expect(records.flatMap((record) => (record.kind === 'fault' ? [record.offset] : []))).toEqual([3, 3, 3]);
    expect(Buffer.from(hex(records, (r) => r.side === 'server' && r.dir === 'out'), 'hex').toString()).toBe('hello\ngrüß dich\nbye\n');
  });

  it('records a dropped datagram on the client side only', async () => {
    const { records, replies } = await datetimeThroughRelay();
    expect(replies[2]).toBe('ERROR unknown request');
    const sent = (side: string, dir: string): string[] =>
      records.filter((r): r is DataRecord => r.kind === 'data' && r.side === side && r.dir === dir).map((r) => Buffer.from(r.bytes, 'base64').toString());
    expect(sent('client', 'in')).toEqual(['SEND_DATE', 'SEND_TIME', 'SEND_TIME', 'HELLO']);
    expect(sent('server', 'out')).toEqual(['SEND_DATE', 'SEND_TIME', 'HELLO']);
    const faults = records.filter((record) => record.kind === 'fault');
    expect(faults).toMatchObject([{ action: 'drop', toxic: 'loss', seed: SEED, datagram: 2, side: 'client', dir: 'in' }]);
  });
});

describe.skipIf(!HAS_TSHARK)(HAS_TSHARK ? 'pcapng read back by tshark' : `pcapng read back by tshark (SKIPPED: ${NO_TSHARK})`, { timeout: 90_000 }, () => {
  beforeAll(() => {
    if (!HAS_TSHARK) console.warn(NO_TSHARK);
  });
  const CHECKSUMS = ['-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];

  function capture(records: readonly TraceRecord[]): string {
    const dir = tempDir();
    cleanups.push(() => { dir.remove(); });
    return dir.file('trace.pcapng', traceToPcapng(records));
  }

  /** Expert info sections tshark printed (Errors, Warnings, Notes, Chats, Comments). */
  function expertSections(file: string): string[] {
    const { stdout, stderr } = tshark(['-r', file, ...CHECKSUMS, '-q', '-z', 'expert']);
    expect(stderr).toBe('');
    return [...stdout.matchAll(/^(Errors|Warns|Notes|Chats|Comments) \(\d+\)$/gm)].map((match) => match[1] ?? '');
  }

  it('reads a proxied echo capture without a warning, checksum errors or missing segments', async () => {
    const { records } = await echoThroughRelay();
    const file = capture(records);
    const read = tshark(['-r', file]);
    expect(read.status).toBe(0);
    expect(read.stderr).toBe('');
    expect(read.stdout).not.toMatch(/previous segment not captured|ACKed unseen|Bad checksum|Malformed/i);
    const sections = expertSections(file);
    expect(sections).not.toContain('Errors');
    expect(sections).not.toContain('Warns');
    expect(sections).toContain('Comments');
  });

  it('follows both TCP streams byte for byte (client side and server side)', async () => {
    const { records } = await echoThroughRelay();
    const file = capture(records);
    for (const [stream, side] of [[0, 'client'], [1, 'server']] as const) {
      const { client, server } = followRaw(file, stream);
      const fromClient = side === 'client' ? 'in' : 'out';
      expect(client).toBe(hex(records, (r) => r.side === side && r.dir === fromClient));
      expect(server).toBe(hex(records, (r) => r.side === side && r.dir !== fromClient));
    }
    const ascii = tshark(['-r', file, '-q', '-z', 'follow,tcp,ascii,0']).stdout;
    expect(ascii).toContain('hello\n');
    expect(ascii).toContain('Goodbye\n');
  });

  it('does the same over IPv6', async () => {
    const { records, received } = await echoThroughRelay('::1');
    expect(received).toBe('hello\ngrüß dich\nGoodbye\n');
    const file = capture(records);
    const sections = expertSections(file);
    expect(sections).not.toContain('Errors');
    expect(sections).not.toContain('Warns');
    const { client, server } = followRaw(file, 1);
    expect(client).toBe(hex(records, (r) => r.side === 'server' && r.dir === 'out'));
    expect(server).toBe(hex(records, (r) => r.side === 'server' && r.dir === 'in'));
    expect(tshark(['-r', file, '-T', 'fields', '-e', 'ipv6.src', '-c', '1']).stdout.trim()).toBe('::1');
  });

  it('shows the handshake, the data and the FINs in the flow graph, in order', async () => {
    const { records } = await echoThroughRelay();
    const file = capture(records);
    const { stdout } = tshark(['-r', file, '-q', '-z', 'flow,any,network,frame.interface_name=="client-side"']);
    const arrows = [...stdout.matchAll(/\|TCP: \d+ → \d+ \[([A-Z, ]+)\].* Len=(\d+)/g)].map((match) => `${match[1] ?? ''} ${match[2] ?? ''}`);
    // Handshake, then (request, echo) three times, then the server's FIN, the client's FIN, the last ACK.
    expect(arrows).toEqual(['SYN 0', 'SYN, ACK 0', 'ACK 0', 'PSH, ACK 6', 'PSH, ACK 6', 'PSH, ACK 12', 'PSH, ACK 12', 'PSH, ACK 4', 'PSH, ACK 8', 'FIN, ACK 0', 'FIN, ACK 0', 'ACK 0']);
  });

  it('puts a dropped datagram on the client-side interface only, with the decision as a comment', async () => {
    const { records } = await datetimeThroughRelay();
    const file = capture(records);
    const read = tshark(['-r', file, ...CHECKSUMS, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction', '-e', 'data.text', '-e', 'frame.comment', '-o', 'data.show_as_text:TRUE']);
    expect(read.stderr).toBe('');
    const rows = read.stdout.trim().split('\n').map((line) => line.split('|'));
    const onSide = (side: string, direction: string): string[] => rows.filter((row) => row[0] === side && row[1] === direction).map((row) => row[2] ?? '');
    expect(onSide('client-side', '0x00000001')).toEqual(['SEND_DATE', 'SEND_TIME', 'SEND_TIME', 'HELLO']);
    expect(onSide('server-side', '0x00000002')).toEqual(['SEND_DATE', 'SEND_TIME', 'HELLO']);
    const commented = rows.filter((row) => (row[3] ?? '') !== '');
    expect(commented).toHaveLength(1);
    expect(commented[0]?.slice(0, 3)).toEqual(['client-side', '0x00000001', 'SEND_TIME']);
    expect(commented[0]?.[3]).toContain(`drop (loss, seed ${SEED}, datagram #2`);
    expect(expertSections(file)).not.toContain('Errors');
  });
});
