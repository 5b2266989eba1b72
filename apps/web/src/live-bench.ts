/**
 * The Live view's bench: a UDP exercise (an echo server) behind netlab's UDP fault proxy, with a
 * small client sending one numbered datagram every {@link LIVE_INTERVAL_MS} while a page watches.
 * Every datagram the proxy forwards, loses, holds or releases becomes one row of the page's
 * sequence diagram; the page's sliders and buttons set the proxy's toxics (`loss`, `delay`, both
 * directions) and its hold mode, live, through the proxy object's own API (the one the HTTP
 * control API of docs/faults.md drives: the same toxics, validated by `parseToxic`).
 *
 * Page protocol (one JSON object per text frame): the page sends `{"type":"loss","percent":N}`,
 * `{"type":"delay","ms":N}`, `{"type":"pause"}`, `{"type":"resume"}`, `{"type":"step"}`; the
 * bench sends `{"type":"batch","events":[…],"counters":{…},"skipped":N}` every
 * {@link LIVE_BATCH_MS}: events are batched so a page at 1,000 messages/s gets 10 frames a second,
 * and at most {@link LIVE_MAX_BATCH} events per batch (the rest are counted as `skipped`).
 */
import { type Socket as DatagramSocket, createSocket } from 'node:dgram';
import { createDatagramCodec, createTextCodec } from '@netlab/codec';
import { type FaultProxy, type ProxyEvent, type Toxic, createUdpFaultProxy, parseToxic } from '@netlab/faults';
import type { Service, SessionContext } from '@netlab/service';
import { type UdpServer, createUdpServer } from '@netlab/transport-udp';

/** Time between two datagrams of the bench's client: 50 ms (20 a second, each echoed). */
export const LIVE_INTERVAL_MS = 50;
/** Time between two batches sent to a page: 100 ms. */
export const LIVE_BATCH_MS = 100;
/** Events in one batch at most; the rest of a turn is counted as skipped. */
export const LIVE_MAX_BATCH = 500;

/** One row of the sequence diagram. */
export interface LiveEvent {
  readonly kind: 'message' | 'lost' | 'held' | 'released';
  /** `up`: client → server; `down`: server → client. */
  readonly direction: 'up' | 'down';
  readonly time: number;
  /** The datagram's number in its direction (message, lost), or the hold sequence number. */
  readonly n: number;
  readonly text?: string;
}

export interface LiveBench {
  /** The service of the page's `/ws/live` sockets. */
  readonly service: Service<string, string>;
  readonly proxy: FaultProxy;
  close(): Promise<void>;
}

const echoSession = { receive: (message: string): readonly string[] => [message] };

export async function startLiveBench(): Promise<LiveBench> {
  const codec = createDatagramCodec(createTextCodec());
  const server: UdpServer = createUdpServer({ codec, service: { name: 'echo', open: () => echoSession } });
  const address = await server.listen();
  let proxy: FaultProxy;
  try {
    proxy = await createUdpFaultProxy({ upstreamHost: address.host, upstreamPort: address.port, seed: 1, hold: { maxUnits: 1000 } });
  } catch (error) {
    await server.close({ graceMs: 0 });
    throw error;
  }

  const pages = new Set<SessionContext<string>>();
  let pending: LiveEvent[] = [];
  let skipped = 0;
  let client: DatagramSocket | undefined;
  let sender: ReturnType<typeof setInterval> | undefined;
  let batcher: ReturnType<typeof setInterval> | undefined;
  let sent = 0;
  let loss = 0;
  let delay = 0;

  const push = (event: LiveEvent): void => {
    if (pending.length >= LIVE_MAX_BATCH) skipped += 1;
    else pending.push(event);
  };
  const unsubscribe = proxy.subscribe(
    (event: ProxyEvent) => {
      if (event.type === 'data' && event.datagram !== undefined) {
        push({ kind: 'message', direction: event.direction, time: event.time, n: event.datagram, text: Buffer.from(event.bytes).toString('utf8').slice(0, 64) });
      } else if (event.type === 'fault' && event.decision.decision === 'dropped') {
        push({ kind: 'lost', direction: event.direction, time: event.time, n: event.decision.datagram ?? -1 });
      } else if (event.type === 'held' || event.type === 'released') {
        push({ kind: event.type, direction: event.direction, time: event.time, n: event.seq });
      }
    },
    { data: true, faults: true },
  );

  const flush = (): void => {
    const counters = proxy.counters();
    const hold = proxy.holdState();
    const message = JSON.stringify({
      type: 'batch',
      events: pending,
      skipped,
      counters: {
        sent,
        forwarded: counters.up.forwarded + counters.down.forwarded,
        dropped: counters.up.dropped + counters.down.dropped,
        delayed: counters.up.delayed + counters.down.delayed,
        held: hold.units,
        released: hold.releasedTotal,
        holding: hold.holding,
        loss,
        delay,
      },
    });
    pending = [];
    skipped = 0;
    for (const page of pages) page.send(message);
  };

  const start = (): void => {
    if (sender !== undefined) return;
    const socket = createSocket('udp4');
    client = socket;
    socket.on('error', () => undefined);
    socket.on('message', () => undefined);
    socket.connect(proxy.port, proxy.host);
    socket.once('connect', () => {
      sender = setInterval(() => {
        sent += 1;
        socket.send(`ping ${String(sent)}`);
      }, LIVE_INTERVAL_MS);
    });
    batcher = setInterval(flush, LIVE_BATCH_MS);
  };
  const stop = (): void => {
    clearInterval(sender);
    clearInterval(batcher);
    sender = undefined;
    batcher = undefined;
    client?.close();
    client = undefined;
  };

  const applyToxics = (): void => {
    const toxics: Toxic[] = [];
    for (const stream of ['upstream', 'downstream'] as const) {
      if (loss > 0) toxics.push(parseToxic({ name: `loss_${stream}`, type: 'loss', stream, attributes: { probability: loss / 100 } }, 'udp'));
      if (delay > 0) toxics.push(parseToxic({ name: `delay_${stream}`, type: 'delay', stream, attributes: { delay } }, 'udp'));
    }
    proxy.setToxics(toxics);
  };

  const control = (text: string): string | undefined => {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return 'not JSON';
    }
    const command = input as { type?: unknown; percent?: unknown; ms?: unknown };
    switch (command.type) {
      case 'loss':
        if (typeof command.percent !== 'number' || !(command.percent >= 0 && command.percent <= 100)) return 'loss: percent from 0 to 100';
        loss = Math.round(command.percent);
        applyToxics();
        return undefined;
      case 'delay':
        if (typeof command.ms !== 'number' || !(command.ms >= 0 && command.ms <= 5000)) return 'delay: ms from 0 to 5000';
        delay = Math.round(command.ms);
        applyToxics();
        return undefined;
      case 'pause':
        proxy.hold();
        return undefined;
      case 'resume':
        proxy.resume();
        return undefined;
      case 'step':
        proxy.step(1);
        return undefined;
      default:
        return 'unknown command';
    }
  };

  const service: Service<string, string> = {
    name: 'live',
    open(_peer, ctx) {
      pages.add(ctx);
      start();
      return {
        receive(text) {
          const problem = control(text);
          return problem === undefined ? [] : [JSON.stringify({ type: 'error', message: problem })];
        },
        close() {
          pages.delete(ctx);
          if (pages.size === 0) stop();
        },
      };
    },
  };

  return {
    service,
    proxy,
    async close() {
      stop();
      unsubscribe();
      await proxy.close();
      await server.close({ graceMs: 0 });
    },
  };
}
