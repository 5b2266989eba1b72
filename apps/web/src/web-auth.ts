/**
 * Who may drive the page: the per-run token, and only through this server's own name.
 *
 * - Every HTTP request and every WebSocket upgrade must carry the token: `?token=` (the URL
 *   `netlab web` prints) or the `netlab_token` cookie the server sets in answer to it (HttpOnly,
 *   SameSite=Strict: another site's page never sends it, and scripts cannot read it).
 * - The Host header must name this server (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`, or
 *   the `--host` given), which stops DNS rebinding: a page on evil.example resolving its name to
 *   127.0.0.1 sends `Host: evil.example`.
 * - A WebSocket upgrade must come from this origin (`Origin: http://<Host>`) when a browser
 *   sends an Origin; a local program without one still needs the token.
 * Comparisons are constant-time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'netlab_token';

/** A fresh token: 128 random bits, base64url. */
export function createToken(): string {
  return randomBytes(16).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries in its query, if any. */
export function queryToken(request: IncomingMessage): string | undefined {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get('token') ?? undefined;
}

function cookieToken(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return rest.join('=');
  }
  return undefined;
}

export interface Gate {
  readonly token: string;
  /** True when the Host header names this server on `port`. */
  hostAllowed(request: IncomingMessage, port: number): boolean;
  /** True when the request carries the token (query or cookie). */
  hasToken(request: IncomingMessage): boolean;
  /** True when a WebSocket upgrade may proceed: allowed Host, the token, and (if sent) our own Origin. */
  upgradeAllowed(request: IncomingMessage, port: number): boolean;
  /** The Set-Cookie header value that stores the token in the browser. */
  readonly cookie: string;
}

/** The gate of one run, for a server bound to `bindHost`. */
export function createGate(token: string, bindHost: string): Gate {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', bindHost.includes(':') ? `[${bindHost}]` : bindHost]);
  const gate: Gate = {
    token,
    cookie: `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    hostAllowed(request, port) {
      const host = request.headers.host;
      if (host === undefined) return false;
      const at = host.lastIndexOf(':');
      if (at === -1 || host.slice(at + 1) !== String(port)) return false;
      return names.has(host.slice(0, at).toLowerCase());
    },
    hasToken(request) {
      const given = queryToken(request) ?? cookieToken(request);
      return given !== undefined && same(given, token);
    },
    upgradeAllowed(request, port) {
      if (!gate.hostAllowed(request, port) || !gate.hasToken(request)) return false;
      const origin = request.headers.origin;
      return origin === undefined || origin === `http://${request.headers.host ?? ''}`;
    },
  };
  return gate;
}
