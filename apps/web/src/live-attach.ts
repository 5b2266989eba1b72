/**
 * The Live view attached to a fault proxy that is already running (`netlab web --proxy-api
 * HOST:PORT [--proxy NAME]`): anyone's client and server talk through that proxy (a student's
 * Python pair, say); the page draws what the proxy's event stream reports and its controls act
 * on that proxy through its control API (docs/faults.md "API"). Nothing of the bench's own runs:
 * no client, no server, no exercise picker, no kill/restart, no exports (the trace ring is fed by
 * the bench's own proxy tap; an attached proxy's taps are its owner's).
 *
 * Inputs: `GET /events?proxy=NAME&data=1` (server-sent events: one JSON object per `data:` line),
 * `GET /proxies/NAME/stats` polled every {@link ATTACH_STATS_MS} while a page watches (counters
 * and hold state). Outputs: toxics named `web_<type>_<stream>` (POST / PATCH / DELETE
 * `/proxies/NAME/toxics…`), `POST /proxies/NAME/hold|step|resume`.
 *
 * Limits: an event-stream line longer than {@link ATTACH_MAX_LINE_BYTES} is skipped (counted as
 * skipped), a JSON answer longer than {@link ATTACH_MAX_BODY_BYTES} is refused, every request
 * times out after {@link ATTACH_REQUEST_TIMEOUT_MS}, a stream silent for {@link ATTACH_STREAM_IDLE_MS}
 * is dropped; the stream is reopened after it ends with a
 * backoff from {@link ATTACH_RETRY_MIN_MS} doubling to {@link ATTACH_RETRY_MAX_MS} (a timer; reset
 * once the stream is back). While the stream is down, or the proxy is gone from the API, the page
 * is told "detached"; `netlab web` keeps running and attaches again when the proxy is back.
 *
 * The page protocol is live-bench.ts's, with a `state` that carries `attached` (see below).
 */
import http from 'node:http';
import type { HostPort } from '@netlab/cli-kit';
import { CliError } from '@netlab/cli-kit';
import { formatHostPort } from '@netlab/exercise-kit';
import type { Service } from '@netlab/service';
import { LIVE_MAX_EVENT_BYTES } from './live-bench.js';
import { type LiveEvent, createLivePages } from './live-pages.js';

/** Longest event-stream line read (a 64 KiB datagram as base64 in JSON fits): 512 KiB. */
export const ATTACH_MAX_LINE_BYTES = 512 * 1024;
/** Longest JSON answer read from the API: 1 MiB. */
export const ATTACH_MAX_BODY_BYTES = 1024 * 1024;
/** Every API request gives up after 5 s. */
export const ATTACH_REQUEST_TIMEOUT_MS = 5000;
/** First wait before reopening a lost event stream: 500 ms (doubled each failure). */
export const ATTACH_RETRY_MIN_MS = 500;
/** Longest wait before reopening a lost event stream: 10 s. */
export const ATTACH_RETRY_MAX_MS = 10_000;
/** An event stream silent this long (the API sends a heartbeat every 15 s) is reopened: 45 s. */
export const ATTACH_STREAM_IDLE_MS = 45_000;
/** Counters are read from `/stats` this often while a page watches: 500 ms. */
export const ATTACH_STATS_MS = 500;

const TEXT_PLAIN_LIMIT = 64;

export interface LiveAttachOptions {
  /** The control API (`netlab proxy serve`, or `netlab proxy … --api`). */
  readonly api: HostPort;
  /** The proxy to watch; default: the API's only proxy (an error lists them when there are several). */
  readonly proxy?: string;
  /** Default: no log. */
  readonly log?: (line: string) => void;
}

export interface LiveAttach {
  /** The service of the page's `/ws/live` sockets. */
  readonly service: Service<string, string>;
  /** The proxy watched, as the API describes it. */
  readonly target: { readonly api: string; readonly proxy: string; readonly protocol: 'udp' | 'tcp'; readonly listen: string; readonly upstream: string };
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface ProxyInfo {
  readonly name: string;
  readonly protocol: 'udp' | 'tcp';
  readonly listen: string;
  readonly upstream: string;
}

/** One JSON request to the API; rejects on a network error, a timeout or an oversized answer. */
function request(api: HostPort, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: api.host, port: api.port, method, path, timeout: ATTACH_REQUEST_TIMEOUT_MS, headers: text === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > ATTACH_MAX_BODY_BYTES) {
            req.destroy(new Error(`answer over ${String(ATTACH_MAX_BODY_BYTES)} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          if (raw !== '') {
            try {
              parsed = JSON.parse(raw);
            } catch {
              reject(new Error(`not a JSON answer (HTTP ${String(res.statusCode)})`));
              return;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${String(ATTACH_REQUEST_TIMEOUT_MS)} ms`)));
    req.on('error', reject);
    req.end(text);
  });
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

function proxyInfo(name: string, value: unknown): ProxyInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as { protocol?: unknown; listen?: unknown; upstream?: unknown };
  const protocol = p.protocol === 'udp' ? 'udp' : 'tcp';
  return { name, protocol, listen: typeof p.listen === 'string' ? p.listen : '?', upstream: typeof p.upstream === 'string' ? p.upstream : '?' };
}

/** Reads the API's proxies and picks the one to watch; CliError (one line) when it cannot. */
async function pickProxy(api: HostPort, wanted: string | undefined): Promise<ProxyInfo> {
  const where = `http://${formatHostPort(api.host, api.port)}`;
  let answer: Answer;
  try {
    answer = await request(api, 'GET', '/proxies');
  } catch (error) {
    throw new CliError('ERR_CONNECT', `cannot reach the proxy API at ${where}: ${describeError(error)} (is \`netlab proxy serve\` running there?)`, { cause: error });
  }
  if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) {
    throw new CliError('ERR_CONNECT', `${where} did not answer GET /proxies as a proxy API does (HTTP ${String(answer.status)})`);
  }
  const all = answer.body as Record<string, unknown>;
  const names = Object.keys(all);
  const list = names.length === 0 ? 'it has none' : `its proxies: ${names.join(', ')}`;
  const name = wanted ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) throw new CliError('ERR_USAGE', `the proxy API at ${where} has ${names.length === 0 ? 'no proxies' : 'several proxies'}: name one with --proxy NAME (${list})`);
  const info = Object.hasOwn(all, name) ? proxyInfo(name, all[name]) : undefined;
  if (info === undefined) throw new CliError('ERR_USAGE', `no proxy named "${name}" at ${where} (${list})`);
  return info;
}

/** Splits an event stream into lines; a line over the cap is skipped whole (and counted). */
export function createLineSplitter(maxLineBytes: number, onLine: (line: string) => void, onSkipped: () => void): (chunk: string) => void {
  let partial = '';
  let discarding = false;
  return (chunk) => {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      if (newline < 0) break;
      const piece = chunk.slice(start, newline);
      start = newline + 1;
      if (discarding) {
        discarding = false;
        continue;
      }
      const line = (partial + piece).replace(/\r$/, '');
      partial = '';
      if (Buffer.byteLength(line) > maxLineBytes) onSkipped();
      else onLine(line);
    }
    if (discarding) return;
    partial += chunk.slice(start);
    if (Buffer.byteLength(partial) > maxLineBytes) {
      partial = '';
      discarding = true;
      onSkipped();
    }
  };
}

/** The page's event for one event-stream object, or undefined when the view does not draw it. */
function toLiveEvent(event: Record<string, unknown>): Omit<LiveEvent, 'id'> | undefined {
  const direction = event.direction === 'down' ? 'down' : 'up';
  const time = typeof event.time === 'number' ? event.time : Date.now();
  const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  if (event.type === 'data' && typeof event.bytes === 'string') {
    const bytes = Buffer.from(event.bytes, 'base64');
    return {
      kind: 'message',
      direction,
      time,
      n: num(event.datagram) ?? num(event.offset) ?? -1,
      text: bytes.subarray(0, TEXT_PLAIN_LIMIT * 4).toString('utf8').replace(/\n$/, '').slice(0, TEXT_PLAIN_LIMIT),
      bytes: bytes.subarray(0, LIVE_MAX_EVENT_BYTES).toString('base64'),
      len: bytes.length,
    };
  }
  if (event.type === 'fault' && typeof event.decision === 'object' && event.decision !== null) {
    const d = event.decision as { decision?: unknown; datagram?: unknown; offset?: unknown; length?: unknown };
    const n = num(d.datagram) ?? num(d.offset) ?? -1;
    const len = num(d.length);
    const extra = len === undefined ? {} : { len };
    if (d.decision === 'dropped') return { kind: 'lost', direction, time, n, ...extra };
    if (d.decision === 'duplicated') return { kind: 'duplicated', direction, time, n, ...extra };
    if (d.decision === 'reordered') return { kind: 'reordered', direction, time, n, ...extra };
    if (d.decision === 'reset') return { kind: 'reset', direction, time, n };
    return undefined;
  }
  if (event.type === 'held' || event.type === 'released') {
    const len = num(event.length);
    return { kind: event.type, direction, time, n: num(event.seq) ?? -1, ...(len === undefined ? {} : { len }) };
  }
  return undefined;
}

/** Checks the API and the proxy, then watches it; rejects with a CliError when it cannot start. */
export async function attachLiveBench(options: LiveAttachOptions): Promise<LiveAttach> {
  const { api } = options;
  const log = options.log ?? ((): void => undefined);
  const info = await pickProxy(api, options.proxy);
  const where = `http://${formatHostPort(api.host, api.port)}`;
  const base = `/proxies/${encodeURIComponent(info.name)}`;
  let status: 'attached' | 'detached' = 'detached';
  let why = 'connecting';
  let closed = false;
  let counters: Record<string, number> = {};
  const faults = { loss: 0, delay: 0, duplicate: 0, reorder: 0, latency: 0, slicer: 0 };

  // The hooks are called only once a page opens, after everything below is set up.
  const pages = createLivePages({
    state: () => state(),
    control: (text) => control(text),
    counters: () => counters,
    watching: (on) => {
      if (on) startPolling();
      else stopPolling();
    },
  });
  const broadcast = (message: string): void => {
    pages.broadcast(message);
  };
  const state = (): string =>
    JSON.stringify({
      type: 'state',
      exercise: `proxy ${info.name}`,
      protocol: info.protocol,
      server: 'up',
      rate: 0,
      ...faults,
      attached: { api: where, proxy: info.name, listen: info.listen, upstream: info.upstream, status, reason: why },
    });
  const setStatus = (next: 'attached' | 'detached', reason: string): void => {
    if (status === next && why === reason) return;
    status = next;
    why = reason;
    log(`web: live view: ${next} ${next === 'attached' ? 'to' : 'from'} proxy ${info.name} at ${where}${next === 'detached' ? ` (${reason})` : ''}`);
    broadcast(state());
  };

  // The event stream: one at a time, reopened with a bounded backoff.
  let stream: http.ClientRequest | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let backoff = ATTACH_RETRY_MIN_MS;
  const reopenLater = (reason: string): void => {
    stream = undefined;
    if (closed) return;
    setStatus('detached', reason);
    if (retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      openStream();
    }, backoff);
    backoff = Math.min(backoff * 2, ATTACH_RETRY_MAX_MS);
  };
  const onObject = (event: Record<string, unknown>): void => {
    if (event.type === 'hello') {
      const names = Array.isArray(event.proxies) ? event.proxies : [];
      if (names.includes(info.name)) {
        backoff = ATTACH_RETRY_MIN_MS;
        setStatus('attached', '');
      } else setStatus('detached', 'the proxy is not in the API any more');
      return;
    }
    if (event.proxy !== info.name) return;
    if (event.type === 'proxy') {
      if (event.action === 'deleted' || event.action === 'disabled') setStatus('detached', `the proxy was ${event.action}`);
      else if (event.action === 'created' || event.action === 'enabled' || event.action === 'restarted') setStatus('attached', '');
      return;
    }
    const isReset = event.type === 'reset' || (event.type === 'fault' && (event.decision as { decision?: unknown } | undefined)?.decision === 'reset');
    if (resetArmed && isReset) {
      resetArmed = false;
      dirty.add('reset');
      void sync();
    }
    const live = toLiveEvent(event);
    if (live !== undefined) pages.push(live);
  };
  function openStream(): void {
    if (closed || stream !== undefined) return;
    const req = http.get({ host: api.host, port: api.port, path: `/events?proxy=${encodeURIComponent(info.name)}&data=1`, headers: { Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reopenLater(res.statusCode === 404 ? 'the proxy is not in the API any more' : `the event stream answered HTTP ${String(res.statusCode)}`);
        return;
      }
      res.setEncoding('utf8');
      const split = createLineSplitter(
        ATTACH_MAX_LINE_BYTES,
        (line) => {
          if (!line.startsWith('data:')) return;
          try {
            const parsed: unknown = JSON.parse(line.slice(5));
            if (typeof parsed === 'object' && parsed !== null) onObject(parsed as Record<string, unknown>);
          } catch {
            pages.skip();
          }
        },
        () => {
          pages.skip();
        },
      );
      res.on('data', split);
      res.on('error', () => undefined);
      res.on('close', () => {
        if (stream === req) reopenLater('the event stream ended (the API is gone?)');
      });
    });
    stream = req;
    req.setTimeout(ATTACH_STREAM_IDLE_MS, () => {
      req.destroy(new Error(`no event or heartbeat for ${String(ATTACH_STREAM_IDLE_MS / 1000)} s`));
    });
    req.on('error', (error) => {
      if (stream === req) reopenLater(`the API is unreachable: ${describeError(error)}`);
    });
  }

  // Counters and hold state, polled while a page watches; one request in flight at most.
  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling || status !== 'attached') return;
    polling = true;
    try {
      const answer = await request(api, 'GET', `${base}/stats`);
      if (answer.status === 404) setStatus('detached', 'the proxy is not in the API any more');
      if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) return;
      const stats = answer.body as { counters?: Record<string, Record<string, number> | undefined>; hold?: { units?: number; released_total?: number } | null; upstream_errors?: number };
      const up = stats.counters?.upstream ?? {};
      const down = stats.counters?.downstream ?? {};
      const sum = (field: string): number => (up[field] ?? 0) + (down[field] ?? 0);
      counters = {
        sent: up.received ?? 0,
        forwarded: sum('forwarded'),
        dropped: sum('dropped'),
        delayed: sum('delayed'),
        duplicated: sum('duplicated'),
        reordered: sum('reordered'),
        sliced: sum('sliced'),
        resets: sum('reset'),
        held: stats.hold?.units ?? 0,
        released: stats.hold?.released_total ?? 0,
        upstreamErrors: stats.upstream_errors ?? 0,
      };
    } catch {
      // The event stream notices a lost API and says so; a failed poll only leaves old counters.
    } finally {
      polling = false;
    }
  };
  let poller: ReturnType<typeof setInterval> | undefined;

  // Toxics: the page's wish is kept in `faults`; `sync` brings the proxy's toxics to it, one
  // request at a time, so dragging a slider sends a few requests, not one per pixel.
  type Kind = keyof typeof faults | 'reset';
  const dirty = new Set<Kind>();
  let resetArmed = false;
  let syncing: Promise<void> | undefined;
  const toxicsOf = (kind: Kind): { type: string; streams: readonly ('upstream' | 'downstream')[]; attributes: Record<string, number> | undefined } => {
    switch (kind) {
      case 'loss':
      case 'duplicate':
      case 'reorder':
        return { type: kind, streams: ['upstream', 'downstream'], attributes: faults[kind] > 0 ? { probability: faults[kind] / 100 } : undefined };
      case 'delay':
        return { type: 'delay', streams: ['upstream', 'downstream'], attributes: faults.delay > 0 ? { delay: faults.delay } : undefined };
      case 'latency':
        return { type: 'latency', streams: ['upstream', 'downstream'], attributes: faults.latency > 0 ? { latency: faults.latency } : undefined };
      case 'slicer':
        return { type: 'slicer', streams: ['upstream', 'downstream'], attributes: faults.slicer > 0 ? { average_size: faults.slicer, size_variation: 0 } : undefined };
      case 'reset':
        return { type: 'reset_peer', streams: ['upstream'], attributes: resetArmed ? { timeout: 0 } : undefined };
    }
  };
  const setToxic = async (name: string, type: string, stream: string, attributes: Record<string, number> | undefined): Promise<void> => {
    const path = `${base}/toxics/${encodeURIComponent(name)}`;
    if (attributes === undefined) {
      const answer = await request(api, 'DELETE', path);
      if (answer.status !== 204 && answer.status !== 404) throw new Error(`removing ${name}: HTTP ${String(answer.status)}`);
      return;
    }
    let answer = await request(api, 'PATCH', path, { attributes });
    if (answer.status === 404) answer = await request(api, 'POST', `${base}/toxics`, { name, type, stream, attributes });
    if (answer.status !== 200) {
      const message = (answer.body as { error?: unknown } | undefined)?.error;
      throw new Error(`setting ${name}: ${typeof message === 'string' ? message : `HTTP ${String(answer.status)}`}`);
    }
  };
  const sync = (): Promise<void> => {
    syncing ??= (async () => {
      try {
        for (;;) {
          const [kind] = dirty;
          if (kind === undefined) break;
          dirty.delete(kind);
          const { type, streams, attributes } = toxicsOf(kind);
          for (const stream of streams) await setToxic(`web_${type}_${stream}`, type, stream, attributes);
        }
      } catch (error) {
        dirty.clear();
        broadcast(JSON.stringify({ type: 'error', message: `the proxy API refused: ${describeError(error)}` }));
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };
  const post = (sub: 'hold' | 'step' | 'resume'): void => {
    request(api, 'POST', `${base}/${sub}`)
      .then((answer) => {
        if (answer.status !== 200) {
          const message = (answer.body as { error?: unknown } | undefined)?.error;
          broadcast(JSON.stringify({ type: 'error', message: `${sub}: ${typeof message === 'string' ? message : `HTTP ${String(answer.status)}`}` }));
        }
      })
      .catch((error: unknown) => {
        broadcast(JSON.stringify({ type: 'error', message: `${sub}: ${describeError(error)}` }));
      });
  };

  const percent = (value: unknown): number | undefined => (typeof value === 'number' && value >= 0 && value <= 100 ? Math.round(value) : undefined);
  const millis = (value: unknown): number | undefined => (typeof value === 'number' && value >= 0 && value <= 5000 ? Math.round(value) : undefined);
  const control = (text: string): string | undefined => {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return 'not JSON';
    }
    if (typeof input !== 'object' || input === null) return 'not a command object';
    const command = input as { type?: unknown; percent?: unknown; ms?: unknown; bytes?: unknown };
    const wrongProtocol = (name: string, protocol: 'udp' | 'tcp'): string | undefined =>
      info.protocol === protocol ? undefined : `${name}: a ${protocol.toUpperCase()} fault (proxy ${info.name} is ${info.protocol.toUpperCase()})`;
    /** Sets a fault unless it is the other protocol's; returns the problem, or undefined. */
    const set = (kind: keyof typeof faults, value: number, protocol: 'udp' | 'tcp'): string | undefined => {
      const wrong = wrongProtocol(kind, protocol);
      if (wrong !== undefined) return wrong;
      faults[kind] = value;
      dirty.add(kind);
      void sync();
      return undefined;
    };
    switch (command.type) {
      case 'loss':
      case 'duplicate':
      case 'reorder': {
        const value = percent(command.percent);
        if (value === undefined) return `${command.type}: percent from 0 to 100`;
        return set(command.type, value, 'udp');
      }
      case 'delay':
      case 'latency': {
        const value = millis(command.ms);
        if (value === undefined) return `${command.type}: ms from 0 to 5000`;
        return set(command.type, value, command.type === 'delay' ? 'udp' : 'tcp');
      }
      case 'slicer': {
        const value = command.bytes;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1024) return 'slicer: bytes from 0 (off) to 1024';
        return set('slicer', value, 'tcp');
      }
      case 'reset': {
        const wrong = wrongProtocol('reset', 'tcp');
        if (wrong !== undefined) return wrong;
        // reset_peer is decided when a connection opens: the next connection through the proxy
        // is reset at its first bytes, and the toxic is removed at that reset.
        resetArmed = true;
        dirty.add('reset');
        void sync();
        return undefined;
      }
      case 'pause':
        post('hold');
        return undefined;
      case 'step':
        post('step');
        return undefined;
      case 'resume':
        post('resume');
        return undefined;
      case 'rate':
      case 'kill':
      case 'restart':
      case 'exercise':
        return `${command.type}: not available while attached to proxy ${info.name} (its client and server are not netlab's)`;
      default:
        return 'unknown command';
    }
  };

  const startPolling = (): void => {
    if (poller !== undefined) return;
    poller = setInterval(() => void poll(), ATTACH_STATS_MS);
    void poll();
  };
  const stopPolling = (): void => {
    clearInterval(poller);
    poller = undefined;
  };



  openStream();
  return {
    service: pages.service,
    target: { api: where, proxy: info.name, protocol: info.protocol, listen: info.listen, upstream: info.upstream },
    async close() {
      closed = true;
      pages.close();
      stopPolling();
      clearTimeout(retry);
      stream?.destroy();
      stream = undefined;
      // Take back the faults this page set (best effort: the API may be gone).
      await syncing;
      for (const kind of Object.keys(faults) as (keyof typeof faults)[]) {
        if (faults[kind] === 0) continue;
        faults[kind] = 0;
        dirty.add(kind);
      }
      if (resetArmed) {
        resetArmed = false;
        dirty.add('reset');
      }
      if (status === 'attached') await sync();
    },
  };
}
