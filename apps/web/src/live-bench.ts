/**
 * The Live view's bench: an exercise (UDP echo, UDP datetime or TCP echo) behind netlab's fault
 * proxy, with a small client sending numbered requests at a chosen rate while a page watches.
 * Every datagram or chunk the proxy forwards, loses, duplicates, holds or releases becomes one row
 * of the page's sequence diagram; the page's sliders and buttons set the proxy's toxics and its
 * hold mode live, through the proxy object's own API (the one the HTTP control API of
 * docs/faults.md drives: the same toxics, validated by `parseToxic`), and kill or restart the
 * exercise's server (on the same port, so the proxy's upstream stays right).
 *
 * Page protocol (one JSON object per text frame). The page sends
 *   `{"type":"loss"|"duplicate"|"reorder","percent":N}` (UDP, 0–100),
 *   `{"type":"delay","ms":N}` (UDP, 0–5000), `{"type":"latency","ms":N}` (TCP, 0–5000),
 *   `{"type":"slicer","bytes":N}` (TCP, 0 = off, 1–1024), `{"type":"reset"}` (TCP),
 *   `{"type":"rate","perSecond":N}` (1–{@link LIVE_MAX_RATE}), `{"type":"pause"|"step"|"resume"}`,
 *   `{"type":"kill"|"restart"}`, `{"type":"exercise","name":"udp-echo"|"udp-datetime"|"tcp-echo"}`.
 * The bench sends `{"type":"state",…}` when a page connects and whenever the exercise or the
 * server's state changes, and `{"type":"batch","events":[…],"counters":{…},"skipped":N}` every
 * LIVE_BATCH_MS (live-pages.ts): events are batched so a page at 1,000 messages/s gets 10 frames a
 * second, at most LIVE_MAX_BATCH events per batch (the rest are counted as `skipped`).
 * An event carries at most {@link LIVE_MAX_EVENT_BYTES} of its bytes (base64; `len` is the size).
 *
 * The run is also recorded in the trace format (`@netlab/trace`, the proxy's wire tap) into a ring
 * of the last {@link LIVE_TRACE_RECORDS} records, which `exportRun` turns into the trace file,
 * pcapng or a Mermaid diagram. Switching the exercise starts a new run (and a new ring).
 */
import { type Socket as DatagramSocket, createSocket } from 'node:dgram';
import { type Socket as TcpSocket, connect as tcpConnect } from 'node:net';
import type { Service } from '@netlab/service';
import { createTextDatagramCodec, createTextLineCodec } from '@netlab/exercise-kit';
import { type DirectionCounters, type FaultProxy, type ProxyEvent, type Toxic, createTcpFaultProxy, createUdpFaultProxy, parseToxic } from '@netlab/faults';
import { createEchoService } from '@netlab/service-text';
import { createDatetimeService } from '@netlab/service-datetime';
import { createTcpServer } from '@netlab/transport-tcp';
import { createUdpServer } from '@netlab/transport-udp';
import { createTraceWriter, createTracer, parseTrace, traceToMermaid, traceToPcapng } from '@netlab/trace';
import { type LiveEvent, createLivePages } from './live-pages.js';

/** Bytes of a datagram or chunk an event carries at most (its `len` is always the real size). */
export const LIVE_MAX_EVENT_BYTES = 1024;
/** Trace records kept for the exports: the last 20,000 (a ring; older ones are dropped). */
export const LIVE_TRACE_RECORDS = 20_000;
/** Requests a second the client sends by default: 20. */
export const LIVE_DEFAULT_RATE = 20;
/** Most requests a second the page may ask for. */
export const LIVE_MAX_RATE = 1000;
/** Steps drawn in the Mermaid export before the rest is counted in one note. */
export const LIVE_MERMAID_STEPS = 500;

/** The exercises the Live view can run. */
export const LIVE_EXERCISES = ['udp-echo', 'udp-datetime', 'tcp-echo'] as const;
export type LiveExercise = (typeof LIVE_EXERCISES)[number];

/** The formats `exportRun` writes. */
export type LiveExportFormat = 'pcapng' | 'mermaid' | 'trace';

export interface LiveExport {
  readonly body: Uint8Array;
  readonly type: string;
  readonly filename: string;
}

export interface LiveBench {
  /** The service of the page's `/ws/live` sockets. */
  readonly service: Service<string, string>;
  /** The current exercise's proxy (a new one after an exercise switch). */
  readonly proxy: FaultProxy;
  /** The run so far (the last {@link LIVE_TRACE_RECORDS} records) in a format. */
  exportRun(format: LiveExportFormat): LiveExport;
  close(): Promise<void>;
}

interface Faults {
  loss: number;
  delay: number;
  duplicate: number;
  reorder: number;
  latency: number;
  slicer: number;
}

interface Server {
  close(): Promise<void>;
}

/** One exercise running: its server (killable), its proxy, and the trace ring. */
interface Run {
  readonly exercise: LiveExercise;
  readonly protocol: 'udp' | 'tcp';
  readonly proxy: FaultProxy;
  readonly serverPort: number;
  server: Server | undefined;
  /** The ring of trace lines (the last {@link LIVE_TRACE_RECORDS}). */
  readonly lines: string[];
}

const TEXT_PLAIN_LIMIT = 64;

function serverFor(exercise: LiveExercise, port: number): { listen(): Promise<{ port: number }>; close(): Promise<void> } {
  if (exercise === 'tcp-echo') {
    const server = createTcpServer({ codec: createTextLineCodec(), service: createEchoService(), port, idleTimeoutMs: 0, firstMessageTimeoutMs: 0 });
    return { listen: () => server.listen(), close: () => server.close({ graceMs: 0 }) };
  }
  const service: Service<string, string> = exercise === 'udp-echo' ? { name: 'echo', open: () => ({ receive: (message: string): readonly string[] => [message] }) } : createDatetimeService({ utc: true });
  const server = createUdpServer({ codec: createTextDatagramCodec(), service, port });
  return { listen: () => server.listen(), close: () => server.close({ graceMs: 0 }) };
}

function requestText(exercise: LiveExercise, n: number): string {
  if (exercise === 'udp-datetime') return n % 2 === 1 ? 'SEND_DATE' : 'SEND_TIME';
  return `ping ${String(n)}`;
}

export async function startLiveBench(options: { readonly log?: (line: string) => void } = {}): Promise<LiveBench> {
  const log = options.log ?? ((): void => undefined);
  let sent = 0;
  let rate = LIVE_DEFAULT_RATE;
  const faults: Faults = { loss: 0, delay: 0, duplicate: 0, reorder: 0, latency: 0, slicer: 0 };
  let resetPending = false;
  let unsubscribe: (() => void) | undefined;
  let run: Run;

  // The hooks are called only once a page opens, after everything below is set up.
  const pages = createLivePages({
    state: () => state(),
    control: (text) => control(text),
    counters: () => counters(),
    watching: (on) => {
      if (on) startClient();
      else stopClient();
    },
  });
  const push = (event: Omit<LiveEvent, 'id'>): void => {
    pages.push(event);
  };

  const startRun = async (exercise: LiveExercise): Promise<Run> => {
    const protocol = exercise.startsWith('tcp') ? 'tcp' : 'udp';
    const first = serverFor(exercise, 0);
    const address = await first.listen();
    const lines: string[] = [];
    const sink = {
      write(text: string): boolean {
        for (const line of text.split('\n')) {
          if (line === '') continue;
          lines.push(line);
        }
        // Drop the oldest in chunks, so the ring stays within 5 % of its bound at a small cost.
        if (lines.length > LIVE_TRACE_RECORDS) {
          const excess = lines.length - Math.floor(LIVE_TRACE_RECORDS * 0.95);
          lines.splice(0, excess);
        }
        return true;
      },
    };
    const tap = createTracer(createTraceWriter(sink, { end: false }), { role: 'proxy', label: 'proxy' });
    let proxy: FaultProxy;
    try {
      const common = { upstreamHost: '127.0.0.1', upstreamPort: address.port, seed: 1, hold: { maxUnits: 1000 }, tap };
      proxy = protocol === 'tcp' ? await createTcpFaultProxy(common) : await createUdpFaultProxy(common);
    } catch (error) {
      await first.close();
      throw error;
    }
    const current: Run = { exercise, protocol, proxy, serverPort: address.port, server: first, lines };
    unsubscribe = proxy.subscribe(onProxyEvent, { data: true, faults: true });
    return current;
  };

  function onProxyEvent(event: ProxyEvent): void {
    if (event.type === 'data') {
      const bytes = Buffer.from(event.bytes.buffer, event.bytes.byteOffset, event.bytes.byteLength);
      const shown = bytes.subarray(0, LIVE_MAX_EVENT_BYTES);
      push({
        kind: 'message',
        direction: event.direction,
        time: event.time,
        n: event.datagram ?? event.offset ?? -1,
        text: bytes.subarray(0, TEXT_PLAIN_LIMIT * 4).toString('utf8').replace(/\n$/, '').slice(0, TEXT_PLAIN_LIMIT),
        bytes: shown.toString('base64'),
        len: bytes.length,
      });
    } else if (event.type === 'fault') {
      const d = event.decision;
      const n = d.datagram ?? d.offset ?? -1;
      const len = d.length;
      const extra = len === undefined ? {} : { len };
      if (d.decision === 'dropped') push({ kind: 'lost', direction: event.direction, time: event.time, n, ...extra });
      else if (d.decision === 'duplicated') push({ kind: 'duplicated', direction: event.direction, time: event.time, n, ...extra });
      else if (d.decision === 'reordered') push({ kind: 'reordered', direction: event.direction, time: event.time, n, ...extra });
      else if (d.decision === 'reset') push({ kind: 'reset', direction: event.direction, time: event.time, n });
    } else if (event.type === 'reset' && resetPending) {
      // The one reset asked for happened: the next connection is not reset.
      resetPending = false;
      applyToxics();
    } else if (event.type === 'held' || event.type === 'released') {
      push({ kind: event.type, direction: event.direction, time: event.time, n: event.seq, len: event.length });
    }
  }

  const note = (text: string): void => {
    push({ kind: 'note', direction: 'up', time: Date.now(), n: -1, text });
    log(`web: live view: ${text}`);
  };

  run = await startRun('udp-echo');

  const state = (): string => JSON.stringify({ type: 'state', exercise: run.exercise, protocol: run.protocol, server: run.server === undefined ? 'down' : 'up', rate, ...faults });
  const broadcast = (message: string): void => {
    pages.broadcast(message);
  };

  const counters = (): Record<string, number> => {
    const proxyCounters = run.proxy.counters();
    const hold = run.proxy.holdState();
    const sum = (field: keyof DirectionCounters): number => proxyCounters.up[field] + proxyCounters.down[field];
    return {
      sent,
      forwarded: sum('forwarded'),
      dropped: sum('dropped'),
      delayed: sum('delayed'),
      duplicated: sum('duplicated'),
      reordered: sum('reordered'),
      sliced: sum('sliced'),
      resets: sum('reset'),
      held: hold.units,
      released: hold.releasedTotal,
      upstreamErrors: run.proxy.stats().upstreamErrors,
      recorded: run.lines.length,
    };
  };

  // The client: `rate` requests a second, sent from a 10 ms tick with a credit (a 1 ms interval
  // is not kept by timers), through the proxy. UDP: one connected socket; TCP: one connection,
  // reopened 200 ms after it closes (a reset, a killed server).
  let udpClient: DatagramSocket | undefined;
  let tcpClient: TcpSocket | undefined;
  let tcpReady = false;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let credit = 0;
  let last = 0;

  const openTcp = (): void => {
    reconnect = undefined;
    const socket = tcpConnect({ host: run.proxy.host, port: run.proxy.port });
    tcpClient = socket;
    tcpReady = false;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      tcpReady = true;
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (tcpClient !== socket) return;
      tcpClient = undefined;
      tcpReady = false;
      if (ticker !== undefined) reconnect = setTimeout(openTcp, 200);
    });
  };

  const sendOne = (): void => {
    const text = requestText(run.exercise, sent + 1);
    if (run.protocol === 'udp') {
      if (udpClient === undefined) return;
      sent += 1;
      udpClient.send(text);
    } else {
      if (tcpClient === undefined || !tcpReady || tcpClient.writableNeedDrain) return;
      sent += 1;
      tcpClient.write(`${text}\n`);
    }
  };

  const startClient = (): void => {
    if (run.protocol === 'udp') {
      const socket = createSocket('udp4');
      udpClient = socket;
      socket.on('error', () => undefined);
      socket.on('message', () => undefined);
      socket.connect(run.proxy.port, run.proxy.host);
    } else {
      openTcp();
    }
    credit = 0;
    last = performance.now();
    ticker = setInterval(() => {
      const now = performance.now();
      credit = Math.min(credit + ((now - last) * rate) / 1000, rate / 10 + 1);
      last = now;
      while (credit >= 1) {
        credit -= 1;
        sendOne();
      }
    }, 10);
  };

  const stopClient = (): void => {
    clearInterval(ticker);
    ticker = undefined;
    clearTimeout(reconnect);
    reconnect = undefined;
    try {
      udpClient?.close();
    } catch {
      // not connected yet
    }
    udpClient = undefined;
    const socket = tcpClient;
    tcpClient = undefined;
    socket?.destroy();
  };


  function applyToxics(): void {
    const toxics: Toxic[] = [];
    const protocol = run.protocol;
    const add = (type: string, attributes: Record<string, number>): void => {
      for (const stream of ['upstream', 'downstream'] as const) toxics.push(parseToxic({ name: `${type}_${stream}`, type, stream, attributes }, protocol));
    };
    if (protocol === 'udp') {
      if (faults.loss > 0) add('loss', { probability: faults.loss / 100 });
      if (faults.delay > 0) add('delay', { delay: faults.delay });
      if (faults.duplicate > 0) add('duplicate', { probability: faults.duplicate / 100 });
      if (faults.reorder > 0) add('reorder', { probability: faults.reorder / 100 });
    } else {
      if (faults.latency > 0) add('latency', { latency: faults.latency });
      if (faults.slicer > 0) add('slicer', { average_size: faults.slicer, size_variation: 0 });
      if (resetPending) toxics.push(parseToxic({ name: 'reset_peer', type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } }, 'tcp'));
    }
    run.proxy.setToxics(toxics);
  }

  let switching: Promise<void> | undefined;
  const switchExercise = async (exercise: LiveExercise): Promise<void> => {
    stopClient();
    unsubscribe?.();
    const old = run;
    await old.proxy.close();
    await old.server?.close();
    run = await startRun(exercise);
    sent = 0;
    resetPending = false;
    log(`web: live view: ${exercise}, proxy listening on ${run.protocol}://${run.proxy.host}:${String(run.proxy.port)}`);
    applyToxics();
    if (pages.watching) startClient();
    broadcast(state());
  };

  const kill = async (): Promise<void> => {
    const server = run.server;
    if (server === undefined) return;
    run.server = undefined;
    await server.close();
    note(`${run.exercise} server killed`);
    broadcast(state());
  };
  const restart = async (): Promise<void> => {
    if (run.server !== undefined) return;
    const server = serverFor(run.exercise, run.serverPort);
    await server.listen();
    run.server = server;
    note(`${run.exercise} server restarted on port ${String(run.serverPort)}`);
    broadcast(state());
  };

  const percent = (value: unknown): number | undefined => (typeof value === 'number' && value >= 0 && value <= 100 ? Math.round(value) : undefined);
  const millis = (value: unknown): number | undefined => (typeof value === 'number' && value >= 0 && value <= 5000 ? Math.round(value) : undefined);

  /** Runs one page command; returns the problem, or undefined. Async work is serialised. */
  const control = (text: string): string | undefined => {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return 'not JSON';
    }
    if (typeof input !== 'object' || input === null) return 'not a command object';
    const command = input as { type?: unknown; percent?: unknown; ms?: unknown; bytes?: unknown; perSecond?: unknown; name?: unknown };
    const udpOnly = (name: string): string | undefined => (run.protocol === 'udp' ? undefined : `${name}: a UDP fault (this exercise is TCP)`);
    const tcpOnly = (name: string): string | undefined => (run.protocol === 'tcp' ? undefined : `${name}: a TCP fault (this exercise is UDP)`);
    const setPercent = (field: 'loss' | 'duplicate' | 'reorder'): string | undefined => {
      const value = percent(command.percent);
      if (value === undefined) return `${field}: percent from 0 to 100`;
      const wrong = udpOnly(field);
      if (wrong !== undefined) return wrong;
      faults[field] = value;
      applyToxics();
      return undefined;
    };
    const serial = (work: () => Promise<void>): void => {
      const previous = switching ?? Promise.resolve();
      const next = previous.then(work).catch((error: unknown) => {
        broadcast(JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
      });
      switching = next;
    };
    switch (command.type) {
      case 'loss':
      case 'duplicate':
      case 'reorder':
        return setPercent(command.type);
      case 'delay':
      case 'latency': {
        const value = millis(command.ms);
        if (value === undefined) return `${command.type}: ms from 0 to 5000`;
        const wrong = command.type === 'delay' ? udpOnly('delay') : tcpOnly('latency');
        if (wrong !== undefined) return wrong;
        faults[command.type] = value;
        applyToxics();
        return undefined;
      }
      case 'slicer': {
        const value = command.bytes;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1024) return 'slicer: bytes from 0 (off) to 1024';
        const wrong = tcpOnly('slicer');
        if (wrong !== undefined) return wrong;
        faults.slicer = value;
        applyToxics();
        return undefined;
      }
      case 'reset': {
        const wrong = tcpOnly('reset');
        if (wrong !== undefined) return wrong;
        // reset_peer is decided when a connection opens: arm it, reopen the client's connection
        // (the proxy resets it at its first bytes), and disarm it at the reset event.
        resetPending = true;
        applyToxics();
        tcpClient?.end();
        return undefined;
      }
      case 'rate': {
        const value = command.perSecond;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LIVE_MAX_RATE) return `rate: perSecond from 1 to ${String(LIVE_MAX_RATE)}`;
        rate = value;
        return undefined;
      }
      case 'pause':
        run.proxy.hold();
        return undefined;
      case 'resume':
        run.proxy.resume();
        return undefined;
      case 'step':
        run.proxy.step(1);
        return undefined;
      case 'kill':
        serial(kill);
        return undefined;
      case 'restart':
        serial(restart);
        return undefined;
      case 'exercise': {
        const name = command.name;
        if (typeof name !== 'string' || !(LIVE_EXERCISES as readonly string[]).includes(name)) return `exercise: one of ${LIVE_EXERCISES.join(', ')}`;
        serial(() => switchExercise(name as LiveExercise));
        return undefined;
      }
      default:
        return 'unknown command';
    }
  };


  const exportRun = (format: LiveExportFormat): LiveExport => {
    const text = run.lines.join('\n');
    const stamp = run.exercise;
    if (format === 'trace') return { body: Buffer.from(text === '' ? '' : `${text}\n`), type: 'application/x-ndjson; charset=utf-8', filename: `netlab-live-${stamp}.jsonl` };
    const records = parseTrace(text);
    if (format === 'pcapng') return { body: traceToPcapng(records, { application: 'netlab web' }), type: 'application/vnd.tcpdump.pcap', filename: `netlab-live-${stamp}.pcapng` };
    return { body: Buffer.from(traceToMermaid(records, { maxSteps: LIVE_MERMAID_STEPS })), type: 'text/plain; charset=utf-8', filename: `netlab-live-${stamp}.mmd` };
  };

  return {
    service: pages.service,
    get proxy() {
      return run.proxy;
    },
    exportRun,
    async close() {
      pages.close();
      stopClient();
      await switching;
      unsubscribe?.();
      await run.proxy.close();
      await run.server?.close();
    },
  };
}
