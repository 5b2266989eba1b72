/**
 * Named fault proxies, as toxiproxy keeps them: each has a `name`, a `listen` and an `upstream`
 * address, `enabled`, and its toxics; netlab adds `protocol` (`tcp` | `udp`) and `seed`. The
 * control API and scenario files both drive proxies through this registry.
 *
 * Semantics (toxiproxy's, where it has them):
 * - `listen` with port 0 binds a free port, and the proxy reports the bound address from then on,
 *   so disabling and enabling it again binds the same port.
 * - Disabling closes the listener and every open connection/client; the toxics are kept.
 * - Changing `listen` or `upstream` restarts the proxy (open connections are dropped).
 * - `populate` replaces a proxy only when its listen, upstream or protocol differ.
 * - Counters survive a disable/enable (they are summed over the proxy's runs).
 *
 * Errors are `FaultError`s whose codes map to the HTTP status the control API answers with
 * (`HTTP_STATUS_OF`: 400, 404, 409).
 */
import net from 'node:net';
import { DEFAULT_HOST } from '@netlab/ground';
import * as v from 'valibot';
import { type FaultCounters, addCounters, createFaultCounters, snapshotCounters } from './counters.js';
import { FaultError, type FaultErrorCode, isFaultError } from './errors.js';
import type { EventSubscription, FaultProxy, ProxyEvent } from './proxy-events.js';
import { formatAddress } from './proxy-events.js';
import { DEFAULT_SEED } from './stream-faults.js';
import { createTcpFaultProxy } from './tcp-proxy.js';
import { type Toxic, describeIssue, parseToxic, toxicToJson } from './toxics.js';
import { createUdpFaultProxy } from './udp-proxy.js';

const CODE_OF_STATUS: Readonly<Record<number, FaultErrorCode>> = { 400: 'ERR_BAD_REQUEST', 404: 'ERR_NOT_FOUND', 409: 'ERR_CONFLICT' };

/** A FaultError whose code answers with HTTP `status` (see HTTP_STATUS_OF). */
function fail(status: 400 | 404 | 409, message: string, cause?: unknown): FaultError {
  return new FaultError(CODE_OF_STATUS[status] ?? 'ERR_BAD_REQUEST', message, cause === undefined ? {} : { cause });
}

/** toxiproxy's JSON for a proxy, plus netlab's `protocol` and `seed`. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ReturnType<typeof toxicToJson>[];
  protocol: 'tcp' | 'udp';
  seed: number;
}

/** What a registry reports beyond the proxies' own events. */
export type RegistryEvent =
  | { readonly type: 'proxy'; readonly proxy: string; readonly action: 'created' | 'deleted' | 'enabled' | 'disabled' | 'restarted'; readonly time: number }
  | {
      readonly type: 'timeline';
      readonly proxy: string;
      readonly action: string;
      readonly toxic?: string;
      /** When the step was due, ms from the start of the run, and its line in the scenario file. */
      readonly atMs: number;
      readonly line: number;
      readonly time: number;
      readonly error?: string;
    }
  | (ProxyEvent & { readonly proxy: string });

export interface ProxyRegistryOptions {
  /** Seed for proxies created without one. Default {@link DEFAULT_SEED}. */
  readonly seed?: number;
  /** Allow proxies to listen on non-loopback addresses. Default false (loopback only). */
  readonly allowNonLoopback?: boolean;
  /** Most proxies at once. Default {@link DEFAULT_MAX_PROXIES}. */
  readonly maxProxies?: number;
  /** Most toxics per proxy. Default {@link DEFAULT_MAX_TOXICS}. */
  readonly maxToxics?: number;
}

export const DEFAULT_MAX_PROXIES = 100;
export const DEFAULT_MAX_TOXICS = 50;

/** Starts the proxy of a definition (the registry's default: a plain TCP or UDP fault proxy). */
export type ProxyStarter = (options: {
  readonly host: string;
  readonly port: number;
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  readonly seed: number;
  readonly toxics: readonly Toxic[];
}) => Promise<FaultProxy>;

interface Managed {
  readonly name: string;
  readonly starter: ProxyStarter | undefined;
  readonly protocol: 'tcp' | 'udp';
  listen: { host: string; port: number };
  upstream: { host: string; port: number };
  readonly seed: number;
  toxics: Toxic[];
  proxy: FaultProxy | undefined;
  unsubscribe: (() => void) | undefined;
  past: FaultCounters;
  pastSessions: number;
  pastUpstreamErrors: number;
}

const NAME = v.pipe(v.string('name must be a string'), v.minLength(1, 'missing required field: name'), v.maxLength(200, 'name is longer than 200 characters'), v.regex(/^[^/?#\s]+$/, 'name must not contain /, ?, # or spaces'));
const ADDRESS = v.string('must be a string HOST:PORT');

const ProxyInput = v.strictObject({
  name: v.optional(NAME),
  listen: v.optional(ADDRESS),
  upstream: v.optional(ADDRESS),
  enabled: v.optional(v.boolean('enabled must be true or false')),
  protocol: v.optional(v.picklist(['tcp', 'udp'], 'protocol must be "tcp" or "udp"')),
  seed: v.optional(v.pipe(v.number('seed must be a number'), v.integer('seed must be an integer'), v.minValue(0, 'seed must be at least 0'), v.maxValue(Number.MAX_SAFE_INTEGER, 'seed is too large'))),
  toxics: v.optional(v.array(v.unknown(), 'toxics must be an array')),
});
export type ProxyInput = v.InferOutput<typeof ProxyInput>;

/** Validates a proxy body; throws a 400 naming the field. */
export function parseProxyInput(input: unknown): ProxyInput {
  const parsed = v.safeParse(ProxyInput, input);
  if (!parsed.success) throw fail(400, describeIssue(parsed.issues, 'proxy'));
  return parsed.output;
}

/** `HOST:PORT`, `[v6]:PORT`, `:PORT` → host and port; throws a 400 naming `field`. */
export function parseAddress(value: string, field: string, portZeroOk: boolean): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port > 65535 || (!portZeroOk && port === 0)) {
    throw fail(400, `${field} "${value}" is not HOST:PORT with a port from ${portZeroOk ? 0 : 1} to 65535`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? DEFAULT_HOST : host, port };
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));

export interface ProxyRegistry {
  list(): ProxyJson[];
  get(name: string): ProxyJson;
  /** The running proxy, or undefined when disabled. Throws 404. */
  running(name: string): FaultProxy | undefined;
  create(input: unknown): Promise<ProxyJson>;
  /** Like `create`, with a starter of the caller's (the CLI's flag impairments under the toxics). */
  createWith(input: unknown, starter: ProxyStarter): Promise<ProxyJson>;
  /** toxiproxy's populate: validate all, then add or replace each. */
  populate(input: unknown): Promise<ProxyJson[]>;
  update(name: string, input: unknown): Promise<ProxyJson>;
  remove(name: string): Promise<void>;
  toxics(name: string): Toxic[];
  /** Replaces a proxy's toxics (validated); applies them to open links at once. */
  setToxics(name: string, toxics: readonly Toxic[]): void;
  /** Re-enables every proxy and removes every toxic; resumes hold mode. */
  reset(): Promise<void>;
  /** Counters over every run of the proxy. */
  counters(name: string): { counters: FaultCounters; sessions: number; open: number; upstreamErrors: number };
  protocolOf(name: string): 'tcp' | 'udp';
  subscribe(listener: (event: RegistryEvent) => void, options?: EventSubscription): () => void;
  /** Sends an event of the registry's own (a scenario step) to the listeners. */
  announce(event: RegistryEvent): void;
  close(): Promise<void>;
  readonly maxToxics: number;
}

/** Creates an empty registry. */
export function createProxyRegistry(options: ProxyRegistryOptions = {}): ProxyRegistry {
  const proxies = new Map<string, Managed>();
  const listeners = new Map<(event: RegistryEvent) => void, { readonly data: boolean; readonly faults: boolean }>();
  const maxProxies = options.maxProxies ?? DEFAULT_MAX_PROXIES;
  const maxToxics = options.maxToxics ?? DEFAULT_MAX_TOXICS;
  let dataListeners = 0;
  let faultListeners = 0;

  const emit = (event: RegistryEvent): void => {
    for (const [listener, wants] of listeners) {
      if ((event.type === 'data' && !wants.data) || (event.type === 'fault' && !wants.faults)) continue;
      listener(event);
    }
  };
  const subscribeProxy = (m: Managed): void => {
    m.unsubscribe?.();
    m.unsubscribe = undefined;
    if (m.proxy === undefined || listeners.size === 0) return;
    m.unsubscribe = m.proxy.subscribe(
      (event) => {
        emit({ ...event, proxy: m.name });
      },
      { data: dataListeners > 0, faults: faultListeners > 0 },
    );
  };

  const find = (name: string): Managed => {
    const m = proxies.get(name);
    if (m === undefined) throw fail(404, 'proxy not found');
    return m;
  };

  const toJson = (m: Managed): ProxyJson => ({
    name: m.name,
    listen: formatAddress(m.listen.host, m.listen.port),
    upstream: formatAddress(m.upstream.host, m.upstream.port),
    enabled: m.proxy !== undefined,
    toxics: m.toxics.map(toxicToJson),
    protocol: m.protocol,
    seed: m.seed,
  });

  const start = async (m: Managed): Promise<void> => {
    const common = { host: m.listen.host, port: m.listen.port, upstreamHost: m.upstream.host, upstreamPort: m.upstream.port, seed: m.seed, toxics: m.toxics };
    try {
      if (m.starter !== undefined) m.proxy = await m.starter(common);
      else m.proxy = m.protocol === 'udp' ? await createUdpFaultProxy(common) : await createTcpFaultProxy(common);
    } catch (error) {
      if (isFaultError(error, 'ERR_LISTEN')) throw fail(409, error.message, error);
      if (isFaultError(error)) throw fail(400, error.message, error);
      throw error;
    }
    m.listen = { host: m.proxy.host, port: m.proxy.port };
    subscribeProxy(m);
  };

  const stop = async (m: Managed): Promise<void> => {
    const proxy = m.proxy;
    if (proxy === undefined) return;
    m.proxy = undefined;
    m.unsubscribe?.();
    m.unsubscribe = undefined;
    const final = await proxy.close();
    const stats = proxy.stats();
    addCounters(m.past.up, final.up);
    addCounters(m.past.down, final.down);
    m.pastSessions += stats.sessions;
    m.pastUpstreamErrors += stats.upstreamErrors;
  };

  const parseToxics = (list: readonly unknown[] | undefined, protocol: 'tcp' | 'udp'): Toxic[] => {
    const toxics: Toxic[] = [];
    for (const [index, input] of (list ?? []).entries()) {
      let toxic: Toxic;
      try {
        toxic = parseToxic(input, protocol);
      } catch (error) {
        throw fail(400, `toxics[${index}]: ${(error as Error).message}`, error);
      }
      if (toxics.some((other) => other.name === toxic.name)) throw fail(409, `toxics[${index}]: toxic already exists: ${toxic.name}`);
      toxics.push(toxic);
    }
    if (toxics.length > maxToxics) throw fail(400, `at most ${maxToxics} toxics per proxy`);
    return toxics;
  };

  /** Validates a create/populate body into a definition (not started). */
  const define = (body: ProxyInput, where: string, starter?: ProxyStarter): { m: Managed; enabled: boolean } => {
    if (body.name === undefined) throw fail(400, `missing required field: name${where}`);
    if (body.upstream === undefined) throw fail(400, `missing required field: upstream${where}`);
    const listen = parseAddress(body.listen ?? '127.0.0.1:0', 'listen', true);
    const upstream = parseAddress(body.upstream, 'upstream', false);
    if (options.allowNonLoopback !== true && !isLoopback(listen.host)) {
      throw fail(400, `listen "${body.listen ?? ''}" is not a loopback address; this server only opens proxies on 127.0.0.0/8 or ::1`);
    }
    const protocol = body.protocol ?? 'tcp';
    const m: Managed = {
      name: body.name,
      starter,
      protocol,
      listen,
      upstream,
      seed: body.seed ?? options.seed ?? DEFAULT_SEED,
      toxics: parseToxics(body.toxics, protocol),
      proxy: undefined,
      unsubscribe: undefined,
      past: createFaultCounters(),
      pastSessions: 0,
      pastUpstreamErrors: 0,
    };
    return { m, enabled: body.enabled ?? true };
  };

  const add = async (m: Managed, enabled: boolean): Promise<void> => {
    if (proxies.size >= maxProxies) throw fail(400, `at most ${maxProxies} proxies`);
    if (enabled) await start(m);
    proxies.set(m.name, m);
    emit({ type: 'proxy', proxy: m.name, action: 'created', time: Date.now() });
  };

  return {
    maxToxics,
    list: () => [...proxies.values()].map(toJson),
    get: (name) => toJson(find(name)),
    running: (name) => find(name).proxy,
    protocolOf: (name) => find(name).protocol,
    async create(input) {
      const { m, enabled } = define(parseProxyInput(input), '');
      if (proxies.has(m.name)) throw fail(409, 'proxy already exists');
      await add(m, enabled);
      return toJson(m);
    },
    async createWith(input, starter) {
      const { m, enabled } = define(parseProxyInput(input), '', starter);
      if (proxies.has(m.name)) throw fail(409, 'proxy already exists');
      await add(m, enabled);
      return toJson(m);
    },
    async populate(input) {
      if (!Array.isArray(input)) throw fail(400, 'bad request body: populate takes a JSON array of proxies');
      const defs = input.map((item, index) => {
        try {
          return define(parseProxyInput(item), ` at proxy ${index + 1}`);
        } catch (error) {
          if (error instanceof FaultError && !error.message.includes(' at proxy ')) throw new FaultError(error.code, `proxy ${index + 1}: ${error.message}`, { cause: error });
          throw error;
        }
      });
      const out: ProxyJson[] = [];
      for (const { m, enabled } of defs) {
        const existing = proxies.get(m.name);
        const same =
          existing?.protocol === m.protocol &&
          formatAddress(existing.upstream.host, existing.upstream.port) === formatAddress(m.upstream.host, m.upstream.port) &&
          (m.listen.port === 0 ? false : formatAddress(existing.listen.host, existing.listen.port) === formatAddress(m.listen.host, m.listen.port));
        if (existing !== undefined && same) {
          if (m.toxics.length > 0) this.setToxics(existing.name, m.toxics);
          out.push(toJson(existing));
          continue;
        }
        if (existing !== undefined) {
          await stop(existing);
          proxies.delete(existing.name);
        }
        await add(m, enabled);
        out.push(toJson(m));
      }
      return out;
    },
    async update(name, input) {
      const m = find(name);
      const body = parseProxyInput(input);
      if (body.name !== undefined && body.name !== name) throw fail(400, "a proxy's name cannot be changed (delete it and create it again)");
      if (body.protocol !== undefined && body.protocol !== m.protocol) throw fail(400, "a proxy's protocol cannot be changed (delete it and create it again)");
      if (body.seed !== undefined && body.seed !== m.seed) throw fail(400, "a proxy's seed cannot be changed (delete it and create it again)");
      if (body.toxics !== undefined) throw fail(400, 'unknown field "toxics" in a proxy update (use /proxies/{name}/toxics)');
      const listen = body.listen === undefined ? m.listen : parseAddress(body.listen, 'listen', true);
      const upstream = body.upstream === undefined ? m.upstream : parseAddress(body.upstream, 'upstream', false);
      if (options.allowNonLoopback !== true && !isLoopback(listen.host)) throw fail(400, `listen "${body.listen ?? ''}" is not a loopback address`);
      const differs =
        listen.port === 0 ||
        formatAddress(listen.host, listen.port) !== formatAddress(m.listen.host, m.listen.port) ||
        formatAddress(upstream.host, upstream.port) !== formatAddress(m.upstream.host, m.upstream.port);
      const enabled = body.enabled ?? m.proxy !== undefined;
      if (differs) {
        const was = m.proxy !== undefined;
        await stop(m);
        const oldListen = m.listen;
        const oldUpstream = m.upstream;
        m.listen = listen;
        m.upstream = upstream;
        if (enabled) {
          try {
            await start(m);
          } catch (error) {
            m.listen = oldListen;
            m.upstream = oldUpstream;
            if (was) await start(m).catch(() => undefined);
            throw error;
          }
        }
        emit({ type: 'proxy', proxy: name, action: 'restarted', time: Date.now() });
      } else if (enabled && m.proxy === undefined) {
        await start(m);
        emit({ type: 'proxy', proxy: name, action: 'enabled', time: Date.now() });
      } else if (!enabled && m.proxy !== undefined) {
        await stop(m);
        emit({ type: 'proxy', proxy: name, action: 'disabled', time: Date.now() });
      }
      return toJson(m);
    },
    async remove(name) {
      const m = find(name);
      await stop(m);
      proxies.delete(name);
      emit({ type: 'proxy', proxy: name, action: 'deleted', time: Date.now() });
    },
    toxics: (name) => [...find(name).toxics],
    setToxics(name, toxics) {
      const m = find(name);
      if (toxics.length > maxToxics) throw fail(400, `at most ${maxToxics} toxics per proxy`);
      m.toxics = [...toxics];
      m.proxy?.setToxics(m.toxics);
    },
    async reset() {
      for (const m of proxies.values()) {
        m.toxics = [];
        if (m.proxy === undefined) {
          try {
            await start(m);
          } catch {
            // toxiproxy ignores a proxy that cannot start again here; so do we (it stays disabled)
          }
        } else {
          m.proxy.setToxics([]);
          m.proxy.resume();
        }
      }
    },
    counters(name) {
      const m = find(name);
      const counters = snapshotCounters(m.past);
      let sessions = m.pastSessions;
      let upstreamErrors = m.pastUpstreamErrors;
      let open = 0;
      if (m.proxy !== undefined) {
        const now = m.proxy.counters();
        addCounters(counters.up, now.up);
        addCounters(counters.down, now.down);
        const stats = m.proxy.stats();
        sessions += stats.sessions;
        upstreamErrors += stats.upstreamErrors;
        open = stats.open;
      }
      return { counters, sessions, open, upstreamErrors };
    },
    subscribe(listener, subscription = {}) {
      if (listeners.has(listener)) return () => undefined;
      const wants = { data: subscription.data === true, faults: subscription.faults !== false };
      listeners.set(listener, wants);
      if (wants.data) dataListeners++;
      if (wants.faults) faultListeners++;
      // Re-subscribe to the proxies so they build only what someone wants.
      for (const m of proxies.values()) subscribeProxy(m);
      return () => {
        if (!listeners.delete(listener)) return;
        if (wants.data) dataListeners--;
        if (wants.faults) faultListeners--;
        for (const m of proxies.values()) subscribeProxy(m);
      };
    },
    announce: emit,
    async close() {
      for (const m of proxies.values()) await stop(m);
      proxies.clear();
    },
  };
}
