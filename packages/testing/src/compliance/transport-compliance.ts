/**
 * One compliance suite for every netlab transport (the libp2p / crossws pattern): the same
 * request/response, concurrency, limit and shutdown tests run against each adapter.
 *
 * A transport joins by writing a {@link TransportAdapter} (start a server for a service with
 * given limits; open a client to it) and calling {@link describeTransportCompliance} from a
 * vitest file. Every server binds loopback port 0; every wait is bounded; everything started is
 * closed after each test.
 */
import type { Clock } from '@netlab/ground';
import { afterEach, describe, expect, it } from 'vitest';
import { type ComplianceService, createComplianceService } from './compliance-service.js';

/** Limits the suite asks a server to enforce. */
export interface ComplianceLimits {
  /** Largest message accepted, in bytes (a TCP line without its terminator, a UDP datagram). */
  readonly maxMessageBytes: number;
}

/** A running server, as the suite sees it. */
export interface ComplianceServer {
  readonly host: string;
  readonly port: number;
  /** Graceful shutdown with a grace period; resolves when everything is closed. */
  close(graceMs: number): Promise<void>;
}

/** A client connection, as the suite sees it. */
export interface ComplianceClient {
  /** Sends one message and resolves with the reply (rejects after `timeoutMs`). */
  request(message: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

export interface TransportAdapter {
  /**
   * The clock the adapter's server runs on; the compliance service's `slow:<ms>` replies wait on
   * it (a simulated network passes its virtual clock). Default: the wall clock.
   */
  readonly clock?: Clock;
  /**
   * False for an adapter that carries values rather than bytes (`connectLocal`: no codec, so no
   * byte limit); the limit tests are then listed as not applicable. Default true.
   */
  readonly byteLimits?: boolean;
  /** Starts a server of `service` on loopback port 0 enforcing `limits`. */
  startServer(service: ComplianceService, limits: ComplianceLimits): Promise<ComplianceServer>;
  /** Opens a client to `server`; it must be able to send messages larger than the server's limit. */
  connect(server: ComplianceServer, limits: ComplianceLimits): Promise<ComplianceClient>;
}

export interface ComplianceOptions {
  /** Clients running at once in the concurrency test. Default {@link DEFAULT_COMPLIANCE_CLIENTS}. */
  readonly clients?: number;
  /** Requests per client in the concurrency test. Default {@link DEFAULT_COMPLIANCE_REQUESTS}. */
  readonly requestsPerClient?: number;
  /** Upper bound on any single wait, in ms. Default {@link DEFAULT_COMPLIANCE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** Default clients in the concurrency test: 16. */
export const DEFAULT_COMPLIANCE_CLIENTS = 16;
/** Default requests per client in the concurrency test: 25. */
export const DEFAULT_COMPLIANCE_REQUESTS = 25;
/** Default bound on one wait: 5 s. */
export const DEFAULT_COMPLIANCE_TIMEOUT_MS = 5000;

const LIMITS: ComplianceLimits = { maxMessageBytes: 512 };

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not finish within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** Registers the compliance suite for one transport. Call it at the top level of a test file. */
export function describeTransportCompliance(name: string, adapter: TransportAdapter, options: ComplianceOptions = {}): void {
  const clientCount = options.clients ?? DEFAULT_COMPLIANCE_CLIENTS;
  const requestsPerClient = options.requestsPerClient ?? DEFAULT_COMPLIANCE_REQUESTS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMPLIANCE_TIMEOUT_MS;

  describe(`transport compliance: ${name}`, () => {
    const servers: ComplianceServer[] = [];
    const clients: ComplianceClient[] = [];

    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((client) => client.close()));
      await Promise.allSettled(servers.splice(0).map((server) => server.close(0)));
    });

    async function serve(): Promise<{ service: ComplianceService; server: ComplianceServer }> {
      const service = createComplianceService(adapter.clock);
      const server = await within(adapter.startServer(service, LIMITS), timeoutMs, 'server start');
      servers.push(server);
      return { service, server };
    }

    async function open(server: ComplianceServer): Promise<ComplianceClient> {
      const client = await within(adapter.connect(server, LIMITS), timeoutMs, 'client connect');
      clients.push(client);
      return client;
    }

    function expectEachSessionClosedOnce(service: ComplianceService, kind?: string): void {
      for (const peer of service.opened) {
        const reasons = service.closes.get(peer.id) ?? [];
        expect(reasons, `close reasons of ${peer.id}`).toHaveLength(1);
        if (kind !== undefined) expect(reasons[0]?.kind).toBe(kind);
      }
    }

    describe('request/response', () => {
      it('answers a request with its reply', async () => {
        const { server } = await serve();
        const client = await open(server);
        expect(await client.request('hello', timeoutMs)).toBe('hello');
      });

      it('carries UTF-8 text intact', async () => {
        const { server } = await serve();
        const client = await open(server);
        const text = 'héllo wörld ✓ 日本語 🚀';
        expect(await client.request(text, timeoutMs)).toBe(text);
      });

      it('keeps per-session state across the requests of one client', async () => {
        const { server } = await serve();
        const client = await open(server);
        const counts: string[] = [];
        for (let i = 0; i < 3; i++) counts.push(await client.request('count', timeoutMs));
        expect(counts).toEqual(['1', '2', '3']);
      });
    });

    describe('concurrency', () => {
      it(`serves ${clientCount} clients at once, each getting its own replies and its own session`, async () => {
        const { service, server } = await serve();
        const all = await Promise.all(Array.from({ length: clientCount }, () => open(server)));
        const results = await within(
          Promise.all(
            all.map(async (client, c) => {
              const replies: string[] = [];
              for (let r = 0; r < requestsPerClient; r++) replies.push(await client.request(`client ${c} request ${r}`, timeoutMs));
              replies.push(await client.request('count', timeoutMs));
              return replies;
            }),
          ),
          timeoutMs * 4,
          'concurrent requests',
        );
        results.forEach((replies, c) => {
          const expected = Array.from({ length: requestsPerClient }, (_, r) => `client ${c} request ${r}`);
          expect(replies).toEqual([...expected, String(requestsPerClient + 1)]);
        });
        expect(service.opened).toHaveLength(clientCount);
        await within(server.close(1000), timeoutMs, 'server close');
        expectEachSessionClosedOnce(service);
      });
    });

    const limits = adapter.byteLimits ?? true;
    describe(limits ? 'limits' : `limits (not applicable: ${name} carries values, not bytes, so there is no byte limit)`, () => {
      it.skipIf(!limits)('accepts a message of exactly the byte limit', async () => {
        const { server } = await serve();
        const client = await open(server);
        const message = 'm'.repeat(LIMITS.maxMessageBytes);
        expect(await client.request(message, timeoutMs)).toBe(message);
      });

      it.skipIf(!limits)('accepts a multi-byte message of exactly the byte limit', async () => {
        const { server } = await serve();
        const client = await open(server);
        const message = 'é'.repeat(LIMITS.maxMessageBytes / 2); // 2 bytes each
        expect(await client.request(message, timeoutMs)).toBe(message);
      });

      it.skipIf(!limits)('rejects a message one byte over the limit with a typed error reply', async () => {
        const { server } = await serve();
        const client = await open(server);
        const reply = await client.request('m'.repeat(LIMITS.maxMessageBytes + 1), timeoutMs);
        expect(reply).toMatch(/^ERR ERR_[A-Z_]+_TOO_(LONG|LARGE)$/);
      });
    });

    describe('shutdown', () => {
      it('lets a request in progress finish, then ends every session as shutdown', async () => {
        const { service, server } = await serve();
        const busy = await open(server);
        const idle = await open(server);
        expect(await idle.request('ready', timeoutMs)).toBe('ready');
        const reply = busy.request('slow:200', timeoutMs);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const closed = server.close(3000);
        expect(await within(reply, timeoutMs, 'in-flight reply')).toBe('slow:200');
        await within(closed, timeoutMs, 'graceful close');
        expect(service.opened).toHaveLength(2);
        expectEachSessionClosedOnce(service, 'shutdown');
      });

      it('stops serving once closed', async () => {
        const { server } = await serve();
        await within(server.close(0), timeoutMs, 'close');
        const attempt = (async () => {
          const client = await adapter.connect(server, LIMITS);
          clients.push(client);
          return client.request('anyone?', 500);
        })();
        await expect(within(attempt, timeoutMs, 'request to a closed server')).rejects.toThrow();
      });

      it('closes sessions that do not finish by the grace deadline', async () => {
        const { service, server } = await serve();
        const client = await open(server);
        expect(await client.request('ready', timeoutMs)).toBe('ready');
        void client.request('hang', timeoutMs).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const started = Date.now();
        await within(server.close(200), timeoutMs, 'close at the deadline');
        expect(Date.now() - started).toBeLessThan(2000);
        expectEachSessionClosedOnce(service, 'shutdown');
      });
    });
  });
}
