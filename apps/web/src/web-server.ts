/**
 * The HTTP side of `netlab web`: the built page and the page's WebSocket endpoints on one port,
 * every request behind the run's gate (web-auth.ts).
 *
 * Routes: `GET /` and the built assets (from memory); `GET /ws/chat` upgrades to the chat relay,
 * `GET /ws/live` to the Live view's bench (live-bench.ts), `GET /ws/atm` to the ATM screen's
 * terminal (atm-relay.ts).
 * Anything else is 404; a request without the token 401; a foreign Host 421; an upgrade to an
 * unknown path is refused 404 (never left hanging).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { formatHostPort, startOnce } from '@netlab/ground';
import { type WsServer, createWsServer, createWsTextCodec } from '@netlab/transport-ws';
import type { Service } from '@netlab/service';
import { type RelayTarget, RELAY_MAX_LINE_BYTES, createChatRelay } from './chat-relay.js';
import { type Gate, queryToken } from './web-auth.js';
import { ATM_MAX_FRAME_BYTES } from './atm-relay.js';
import type { StaticFile } from './static-files.js';
import type { LiveExport, LiveExportFormat } from './live-bench.js';

/** The Live view's export routes, each a format of `exportRun` (live-bench.ts). */
const LIVE_EXPORTS: Readonly<Record<string, LiveExportFormat>> = { '/live/export.pcapng': 'pcapng', '/live/export.mmd': 'mermaid', '/live/export.jsonl': 'trace' };

/** Headers of every page response: nothing from elsewhere may load, frame or be referred to. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

export interface WebServerOptions {
  readonly host: string;
  readonly port: number;
  readonly gate: Gate;
  readonly files: ReadonlyMap<string, StaticFile>;
  /** Where the page's chat members are relayed to. */
  readonly chat: RelayTarget;
  /** The service of the Live view's sockets (`/ws/live`). */
  readonly live: Service<string, string>;
  /** The service of the ATM screen's sockets (`/ws/atm`, atm-relay.ts). */
  readonly atm: Service<string, string>;
  /** The Live view's exports (`GET /live/export.pcapng`, `.mmd`, `.jsonl`); default: none. */
  readonly liveExport?: (format: LiveExportFormat) => LiveExport;
  readonly log: (line: string) => void;
}

export interface WebServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT/?token=…` */
  readonly url: string;
  close(): Promise<void>;
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end(`${text}\n`);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { gate, files } = options;
  let port = 0;
  const http: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (!gate.hostAllowed(request, port)) {
      plain(response, 421, 'unknown Host: open the address netlab web printed');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      plain(response, 405, 'method not allowed');
      return;
    }
    if (!gate.hasToken(request)) {
      plain(response, 401, 'this page needs its token: open the URL netlab web printed (…/?token=…)');
      return;
    }
    const url = request.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const format = LIVE_EXPORTS[path];
    if (format !== undefined && options.liveExport !== undefined) {
      const exported = options.liveExport(format);
      response.writeHead(200, { 'Content-Type': exported.type, 'Content-Length': String(exported.body.length), 'Content-Disposition': `attachment; filename="${exported.filename}"`, ...SECURITY_HEADERS });
      response.end(request.method === 'HEAD' ? undefined : exported.body);
      return;
    }
    const file = files.get(path);
    if (file === undefined) {
      plain(response, 404, 'not found');
      return;
    }
    const headers: Record<string, string> = { 'Content-Type': file.type, 'Content-Length': String(file.body.length), ...SECURITY_HEADERS };
    if (queryToken(request) !== undefined) headers['Set-Cookie'] = gate.cookie;
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : file.body);
  });
  http.on('clientError', (_error, socket: Duplex) => {
    socket.destroy();
  });

  // Each page WebSocket: its path, its service and its limits, behind the same gate.
  const endpoints = new Set<string>();
  const endpoint = (path: string, service: Service<string, string>, maxMessageBytes: number, limits: { idleTimeoutMs: number; firstMessageTimeoutMs?: number; maxConnections: number }): WsServer => {
    endpoints.add(path);
    return createWsServer<string, string>({
      server: http,
      path,
      codec: createWsTextCodec({ maxMessageBytes }),
      service,
      authorize: (request) => gate.upgradeAllowed(request, port),
      ...limits,
      onEvent: (event) => {
        if (event.type === 'rejected') options.log(`web: refused ${event.peer.id}: ${event.error.message}`);
      },
    });
  };
  const sockets: WsServer[] = [
    // The chat's own limits: a member may read for a long time without typing.
    endpoint('/ws/chat', createChatRelay(options.chat), RELAY_MAX_LINE_BYTES, { idleTimeoutMs: 3_600_000, maxConnections: 256 }),
    // A page only listens (the controls are rare): no idle timeout, no first-message deadline.
    endpoint('/ws/live', options.live, 256 * 1024, { idleTimeoutMs: 0, firstMessageTimeoutMs: 0, maxConnections: 64 }),
    // An ATM screen may sit idle between customers: no idle timeout, no first-message deadline.
    endpoint('/ws/atm', options.atm, ATM_MAX_FRAME_BYTES, { idleTimeoutMs: 0, firstMessageTimeoutMs: 0, maxConnections: 32 }),
  ];
  http.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (endpoints.has(path)) return;
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  await startOnce(http, (done) => http.listen({ host: options.host, port: options.port }, done));
  const bound = http.address();
  if (bound === null || typeof bound === 'string') throw new Error('the web server has no address');
  port = bound.port;
  for (const ws of sockets) await ws.listen();
  const url = `http://${formatHostPort(bound.address, port)}/?token=${gate.token}`;
  return {
    port,
    url,
    async close() {
      await Promise.all(sockets.map((ws) => ws.close({ graceMs: 1000 })));
      await new Promise<void>((resolve) => {
        http.close(() => {
          resolve();
        });
        http.closeAllConnections();
      });
    },
  };
}
