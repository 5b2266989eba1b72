/**
 * The control API: toxiproxy's HTTP API (paths, JSON bodies, status codes), so unmodified
 * toxiproxy clients drive netlab's proxies, plus netlab's additions under the same shapes.
 *
 * Wire format: JSON bodies both ways; errors are `{"error": "...", "status": N}` with N the HTTP
 * status. toxiproxy's routes and codes: `GET/POST /proxies` (201 on create), `POST /populate`
 * (201), `GET/POST/PATCH/DELETE /proxies/{p}` (204 on delete), `GET/POST /proxies/{p}/toxics`
 * (200 on create, as toxiproxy), `GET/POST/PATCH/DELETE /proxies/{p}/toxics/{t}` (204 on delete),
 * `POST /reset` (204), `GET /version`. netlab's: `GET /proxies/{p}/stats`, `GET /proxies/{p}/hold`,
 * `POST /proxies/{p}/hold|step|resume`, `GET /events` (server-sent events, one JSON object per
 * `data:` line; `?proxy=NAME` filters, `?data=1` adds every forwarded chunk/datagram).
 *
 * Safety (instead of toxiproxy's "refuse any Mozilla/ User-Agent"): the server binds to loopback
 * unless `allowRemote`; a request carrying an `Origin` header is refused (403) unless that origin
 * is listed in `allowedOrigins` (no wildcard), and only listed origins get CORS headers; a `Host`
 * header that is not a loopback name or the bound address is refused (403, a DNS-rebinding
 * guard); bodies are capped at `maxBodyBytes` (413) and validated (400 naming the field); a slow
 * event-stream reader is disconnected once `maxEventBacklogBytes` wait for it.
 */
import http from 'node:http';
import net from 'node:net';
import { FaultError, HTTP_STATUS_OF, isFaultError } from './errors.js';
import { formatAddress } from './proxy-events.js';
import { type ProxyRegistry, type RegistryEvent, createProxyRegistry } from './proxy-registry.js';
import { type Toxic, parseToxic, toxicToJson, updateToxic } from './toxics.js';
import { PROTOCOL_COUNTER_FIELDS, COUNTER_UNITS } from './counters.js';

export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 8474;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;
/** The toxiproxy API version this server speaks (what `GET /version` reports). */
export const TOXIPROXY_API_VERSION = '2.12.0';
const NETLAB_VERSION = '0.1.0';

export interface ControlApiOptions {
  /** Host to listen on. Default {@link DEFAULT_API_HOST}. */
  readonly host?: string;
  /** Port; 0 picks a free one (read it back from `api.port`). Default {@link DEFAULT_API_PORT}. */
  readonly port?: number;
  /** The proxies to control. Default: a new, empty registry (closed with the API). */
  readonly registry?: ProxyRegistry;
  /** Origins (e.g. `http://127.0.0.1:7300`) whose browser requests are allowed. Default: none. */
  readonly allowedOrigins?: readonly string[];
  /** Allow binding to a non-loopback host. Default false. */
  readonly allowRemote?: boolean;
  /** Largest request body, bytes. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
  /** Bytes that may wait for one event-stream reader before it is disconnected. Default {@link DEFAULT_MAX_EVENT_BACKLOG_BYTES}. */
  readonly maxEventBacklogBytes?: number;
  /** Called after every request (for logs). Default: none. */
  readonly onRequest?: (line: { readonly method: string; readonly path: string; readonly status: number }) => void;
}

export interface ControlApi {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:8474` */
  readonly url: string;
  readonly registry: ProxyRegistry;
  /** Stops the server, closes event streams (and the registry when the API created it). */
  close(): Promise<void>;
}

const isLoopbackHost = (host: string): boolean => host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));

function hostnameOf(header: string): string {
  const match = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return (match?.[1] ?? header).toLowerCase();
}

function bad(message: string): FaultError {
  return new FaultError('ERR_BAD_REQUEST', message);
}

/** The JSON form of a registry event (bytes as base64, errors as their message). */
export function eventToJson(event: RegistryEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event };
  if (event.type === 'data') {
    out.bytes = Buffer.from(event.bytes.buffer, event.bytes.byteOffset, event.bytes.byteLength).toString('base64');
    out.length = event.bytes.length;
  }
  if (event.type === 'upstream-error') out.error = { code: event.error.code, message: event.error.message };
  return out;
}

/** Starts the control API; resolves once it listens. Rejects with ERR_LISTEN or ERR_INVALID_OPTION. */
export async function createControlApi(options: ControlApiOptions = {}): Promise<ControlApi> {
  const host = options.host ?? DEFAULT_API_HOST;
  if (options.allowRemote !== true && !isLoopbackHost(host)) {
    throw new FaultError('ERR_INVALID_OPTION', `the control API binds to loopback only (got ${host}); it can open proxies and read traffic`, {
      details: { option: 'host', value: host },
    });
  }
  const ownRegistry = options.registry === undefined;
  const registry = options.registry ?? createProxyRegistry();
  const origins = new Set(options.allowedOrigins ?? []);
  for (const origin of origins) {
    if (origin === '*' || !/^https?:\/\/[^/]+$/.test(origin)) {
      throw new FaultError('ERR_INVALID_OPTION', `allowed origin "${origin}" must be scheme://host[:port] (no wildcard, no path)`, { details: { option: 'allowedOrigins', value: origin } });
    }
  }
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBacklog = options.maxEventBacklogBytes ?? DEFAULT_MAX_EVENT_BACKLOG_BYTES;
  const streams = new Set<http.ServerResponse>();
  let boundHost = host;

  const send = (res: http.ServerResponse, status: number, body?: unknown): void => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
  };

  const readBody = (req: http.IncomingMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? '0');
      if (declared > maxBody) {
        reject(new FaultError('ERR_BODY_TOO_LARGE', `request body of ${declared} bytes is over the limit of ${maxBody} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > maxBody) {
          failed = true;
          reject(new FaultError('ERR_BODY_TOO_LARGE', `request body is over the limit of ${maxBody} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('error', reject);
      req.on('end', () => {
        if (failed) return;
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') {
          resolve(undefined);
          return;
        }
        try {
          resolve(JSON.parse(text) as unknown);
        } catch (error) {
          reject(bad(`bad request body: ${(error as Error).message}`));
        }
      });
    });

  const requireBody = (body: unknown): unknown => {
    if (body === undefined) throw bad('bad request body: empty (expected JSON)');
    return body;
  };

  const optionalObject = (body: unknown, fields: readonly string[]): Record<string, unknown> => {
    if (body === undefined) return {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('bad request body: expected a JSON object');
    const record = body as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!fields.includes(key)) throw bad(`unknown field "${key}" (this request takes ${fields.join(', ') || 'no fields'})`);
    return record;
  };

  const positiveInteger = (value: unknown, field: string): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw bad(`${field} must be an integer of at least 1`);
    return value;
  };

  const findToxic = (proxy: string, name: string): { toxics: Toxic[]; index: number } => {
    const toxics = registry.toxics(proxy);
    const index = toxics.findIndex((toxic) => toxic.name === name);
    if (index < 0) throw new FaultError('ERR_NOT_FOUND', 'toxic not found');
    return { toxics, index };
  };

  const stats = (name: string): Record<string, unknown> => {
    const protocol = registry.protocolOf(name);
    const { counters, sessions, open, upstreamErrors } = registry.counters(name);
    const fields = PROTOCOL_COUNTER_FIELDS[protocol];
    const pick = (direction: 'up' | 'down'): Record<string, number> => Object.fromEntries(fields.map((field) => [field, counters[direction][field]]));
    const proxy = registry.running(name);
    return {
      ...registry.get(name),
      unit: COUNTER_UNITS[protocol],
      time: Date.now(),
      sessions,
      open,
      upstream_errors: upstreamErrors,
      counters: { upstream: pick('up'), downstream: pick('down') },
      toxic_stats: (proxy?.toxicStats() ?? []).map((t) => ({
        name: t.name,
        type: t.type,
        stream: t.stream,
        toxicity: t.toxicity,
        added_at: t.addedAt,
        updated_at: t.updatedAt,
        links: t.links,
        hits: t.hits,
        decisions: t.decisions,
        first_hit_at: t.firstHitAt,
        last_hit_at: t.lastHitAt,
      })),
      hold: proxy === undefined ? null : holdJson(proxy.holdState()),
    };
  };

  const holdJson = (state: ReturnType<NonNullable<ReturnType<ProxyRegistry['running']>>['holdState']>): Record<string, unknown> => ({
    holding: state.holding,
    units: state.units,
    bytes: state.bytes,
    max_units: state.maxUnits,
    max_bytes: state.maxBytes,
    held_total: state.heldTotal,
    released_total: state.releasedTotal,
    overflowed: state.overflowed,
  });

  const running = (name: string): NonNullable<ReturnType<ProxyRegistry['running']>> => {
    const proxy = registry.running(name);
    if (proxy === undefined) throw new FaultError('ERR_CONFLICT', `proxy ${name} is disabled`);
    return proxy;
  };

  const events = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    const only = url.searchParams.get('proxy');
    if (only !== null) registry.get(only); // 404 when unknown
    const data = url.searchParams.get('data') === '1' || url.searchParams.get('data') === 'true';
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(`: netlab proxy events\nretry: 1000\n\n`);
    let id = 0;
    const write = (payload: Record<string, unknown>): void => {
      if (res.writableLength > maxBacklog) {
        stop();
        res.destroy();
        return;
      }
      res.write(`id: ${id++}\ndata: ${JSON.stringify(payload)}\n\n`);
    };
    write({ type: 'hello', time: Date.now(), proxies: registry.list().map((p) => p.name) });
    const unsubscribe = registry.subscribe(
      (event) => {
        if (only !== null && event.proxy !== only) return;
        write(eventToJson(event));
      },
      { data },
    );
    const heartbeat = setInterval(() => res.write(': keepalive\n\n'), 15_000);
    heartbeat.unref();
    streams.add(res);
    const stop = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', stop);
    res.on('close', stop);
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<number | undefined> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter((part) => part !== '').map((part) => decodeURIComponent(part));
    const [top, name, sub, toxicName, extra] = parts;
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw Object.assign(new FaultError('ERR_BAD_REQUEST', `method ${method} not allowed here (allowed: ${methods.join(', ')})`), { status: 405 });
    };
    if (extra !== undefined) throw new FaultError('ERR_NOT_FOUND', `no such path: ${url.pathname}`);
    if (top === 'version' && name === undefined) {
      allow('GET');
      send(res, 200, { version: TOXIPROXY_API_VERSION, server: `netlab ${NETLAB_VERSION}` });
      return 200;
    }
    if (top === 'reset' && name === undefined) {
      allow('POST');
      await readBody(req);
      await registry.reset();
      send(res, 204);
      return 204;
    }
    if (top === 'populate' && name === undefined) {
      allow('POST');
      const body = requireBody(await readBody(req));
      try {
        send(res, 201, { proxies: await registry.populate(body) });
      } catch (error) {
        const status = isFaultError(error) ? (HTTP_STATUS_OF[error.code] ?? 500) : 500;
        send(res, status, { error: (error as Error).message, status, proxies: registry.list() });
        return status;
      }
      return 201;
    }
    if (top === 'events' && name === undefined) {
      allow('GET');
      events(req, res, url);
      return 200;
    }
    if (top !== 'proxies') throw new FaultError('ERR_NOT_FOUND', `no such path: ${url.pathname}`);
    if (name === undefined) {
      allow('GET', 'POST');
      if (method === 'GET') {
        send(res, 200, Object.fromEntries(registry.list().map((proxy) => [proxy.name, proxy])));
        return 200;
      }
      send(res, 201, await registry.create(requireBody(await readBody(req))));
      return 201;
    }
    if (sub === undefined) {
      allow('GET', 'POST', 'PATCH', 'DELETE');
      if (method === 'GET') {
        send(res, 200, registry.get(name));
        return 200;
      }
      if (method === 'DELETE') {
        await registry.remove(name);
        send(res, 204);
        return 204;
      }
      send(res, 200, await registry.update(name, requireBody(await readBody(req))));
      return 200;
    }
    if (sub === 'stats' && toxicName === undefined) {
      allow('GET');
      send(res, 200, stats(name));
      return 200;
    }
    if ((sub === 'hold' || sub === 'step' || sub === 'resume') && toxicName === undefined) {
      allow(...(sub === 'hold' ? ['GET', 'POST'] : ['POST']));
      registry.get(name);
      const proxy = running(name);
      if (method === 'GET') {
        send(res, 200, holdJson(proxy.holdState()));
        return 200;
      }
      const body = await readBody(req);
      if (sub === 'hold') {
        const fields = optionalObject(body, ['max_units', 'max_bytes']);
        const maxUnits = positiveInteger(fields.max_units, 'max_units');
        const maxBytes = positiveInteger(fields.max_bytes, 'max_bytes');
        proxy.hold({ ...(maxUnits === undefined ? {} : { maxUnits }), ...(maxBytes === undefined ? {} : { maxBytes }) });
        send(res, 200, holdJson(proxy.holdState()));
        return 200;
      }
      let released: number;
      if (sub === 'step') {
        released = proxy.step(positiveInteger(optionalObject(body, ['count']).count, 'count') ?? 1);
      } else {
        optionalObject(body, []);
        released = proxy.resume();
      }
      send(res, 200, { released, hold: holdJson(proxy.holdState()) });
      return 200;
    }
    if (sub !== 'toxics') throw new FaultError('ERR_NOT_FOUND', `no such path: ${url.pathname}`);
    const protocol = registry.protocolOf(name);
    if (toxicName === undefined) {
      allow('GET', 'POST');
      if (method === 'GET') {
        send(res, 200, registry.toxics(name).map(toxicToJson));
        return 200;
      }
      const toxic = parseToxic(requireBody(await readBody(req)), protocol);
      const toxics = registry.toxics(name);
      if (toxics.some((other) => other.name === toxic.name)) throw new FaultError('ERR_CONFLICT', 'toxic already exists');
      if (toxics.length >= registry.maxToxics) throw bad(`at most ${registry.maxToxics} toxics per proxy`);
      registry.setToxics(name, [...toxics, toxic]);
      send(res, 200, toxicToJson(toxic));
      return 200;
    }
    allow('GET', 'POST', 'PATCH', 'DELETE');
    const { toxics, index } = findToxic(name, toxicName);
    const current = toxics[index];
    if (current === undefined) throw new FaultError('ERR_NOT_FOUND', 'toxic not found');
    if (method === 'GET') {
      send(res, 200, toxicToJson(current));
      return 200;
    }
    if (method === 'DELETE') {
      registry.setToxics(name, toxics.filter((_, i) => i !== index));
      send(res, 204);
      return 204;
    }
    const updated = updateToxic(current, requireBody(await readBody(req)), protocol);
    registry.setToxics(name, toxics.map((toxic, i) => (i === index ? updated : toxic)));
    send(res, 200, toxicToJson(updated));
    return 200;
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const finish = (status: number): void => options.onRequest?.({ method, path, status });
    const origin = req.headers.origin;
    const hostHeader = req.headers.host ?? '';
    const hostname = hostnameOf(hostHeader);
    const fail = (status: number, message: string): void => {
      if (!res.headersSent) send(res, status, { error: message, status });
      else res.destroy();
      finish(status);
    };
    if (options.allowRemote !== true && !isLoopbackHost(hostname) && hostname !== boundHost) {
      fail(403, `Host "${hostHeader}" refused: this API answers only to loopback names (DNS-rebinding guard)`);
      return;
    }
    if (origin !== undefined) {
      if (!origins.has(origin)) {
        fail(403, `cross-origin request from ${origin} refused: only ${origins.size === 0 ? 'same-machine tools (no browser origin)' : [...origins].join(', ')} may call this API`);
        return;
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE',
          'Access-Control-Allow-Headers': 'Content-Type',
          'Access-Control-Max-Age': '600',
        });
        res.end();
        finish(204);
        return;
      }
    }
    route(req, res).then(
      (status) => {
        if (status !== undefined) finish(status);
      },
      (error: unknown) => {
        const explicit = (error as { status?: unknown }).status;
        const status = typeof explicit === 'number' ? explicit : isFaultError(error) ? (HTTP_STATUS_OF[error.code] ?? 500) : 500;
        if (status === 413) res.setHeader('Connection', 'close');
        fail(status, error instanceof Error ? error.message : String(error));
        if (status === 413) req.resume();
      },
    );
  });
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new FaultError('ERR_LISTEN', `cannot listen on http://${formatAddress(host, options.port ?? DEFAULT_API_PORT)}: ${error.code ?? error.message}`, { cause: error }));
    });
    server.listen({ host, port: options.port ?? DEFAULT_API_PORT }, () => {
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  boundHost = address.address;
  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    url: `http://${formatAddress(address.address, address.port)}`,
    registry,
    close() {
      closing ??= (async () => {
        for (const res of streams) res.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => { resolve(); }));
        if (ownRegistry) await registry.close();
      })();
      return closing;
    },
  };
}
