import { connect as connectPlain } from 'node:net';
import { connect as connectTlsRaw } from 'node:tls';
import { createLineCodec } from '@netlab/codec';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type SelfSignedCertificate,
  type TcpClient,
  type TcpClientTlsOptions,
  type TcpServer,
  type TcpServerEvent,
  type TcpServerTlsOptions,
  connectTcp,
  createReconnectingTcpClient,
  createSelfSignedCertificate,
  createTcpServer,
  isTcpError,
} from '../src/index.js';
import { rawConnect, testService, until, within } from './helpers.js';

const codec = createLineCodec();
const servers: TcpServer[] = [];
const clients: TcpClient<string, string>[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

// One key pair per kind of certificate for the whole file: key generation is the slow part.
const loopback = createSelfSignedCertificate();
const otherName = createSelfSignedCertificate({ names: ['example.test'] });
const expired = createSelfSignedCertificate({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
const future = createSelfSignedCertificate({ notBefore: new Date(Date.now() + 86_400_000) });

async function serve(
  certificate: SelfSignedCertificate = loopback,
  tls: Partial<TcpServerTlsOptions> = {},
  events: TcpServerEvent[] = [],
  greeting?: string,
): Promise<{ server: TcpServer; port: number }> {
  const server = createTcpServer({ codec, service: testService(greeting), tls: { cert: certificate.cert, key: certificate.key, ...tls }, onEvent: (event) => events.push(event) });
  servers.push(server);
  return { server, port: (await server.listen()).port };
}

async function open(port: number, tls: TcpClientTlsOptions, host = '127.0.0.1'): Promise<TcpClient<string, string>> {
  const client = await connectTcp({ codec, host, port, tls, connectTimeoutMs: 10_000 });
  clients.push(client);
  return client;
}

async function failure(port: number, tls: TcpClientTlsOptions, host = '127.0.0.1'): Promise<unknown> {
  return connectTcp({ codec, host, port, tls, connectTimeoutMs: 10_000 }).then(
    (client) => {
      clients.push(client);
      return 'connected';
    },
    (error: unknown) => error,
  );
}

describe('TLS server and client', () => {
  it('carries requests over TLS when the client trusts the certificate as its CA', async () => {
    const { server, port } = await serve();
    expect(server.fingerprint256).toBe(loopback.fingerprint256);
    const client = await open(port, { ca: loopback.cert });
    expect(await within(client.request('hello over tls'), 5000)).toBe('hello over tls');
    expect(await within(Promise.all([client.request('a'), client.request('slow:20'), client.request('c')]), 5000)).toEqual(['a', 'slow:20', 'c']);
    await client.close();
    await until(() => server.stats().messagesIn === 4, 5000, 'server counted 4 messages');
    // Counters count the plain text, as without TLS.
    expect(server.stats().bytesIn).toBe('hello over tls\n'.length + 'a\n'.length + 'slow:20\n'.length + 'c\n'.length);
  });

  it('accepts the loopback certificate by the name localhost', async () => {
    const { port } = await serve();
    const byName = await open(port, { ca: loopback.cert }, 'localhost');
    expect(await within(byName.request('by name'), 5000)).toBe('by name');
  });

  it('refuses a self-signed certificate the client was not given, with ERR_TLS_UNKNOWN_CA', async () => {
    const { port } = await serve();
    const error = await failure(port, {});
    expect(isTcpError(error, 'ERR_TLS_UNKNOWN_CA')).toBe(true);
    expect((error as Error).message).toMatch(/not signed by a CA this client trusts/);
  });

  it('reports a client that refused the certificate at once, not after the handshake deadline', async () => {
    const events: TcpServerEvent[] = [];
    const { server, port } = await serve(loopback, { handshakeTimeoutMs: 60_000 }, events);
    expect(isTcpError(await failure(port, {}), 'ERR_TLS_UNKNOWN_CA')).toBe(true);
    await until(() => server.stats().tlsHandshakeFailures === 1, 5000, 'the server saw the handshake fail');
    const rejected = events.find((event) => event.type === 'rejected');
    expect(rejected?.type === 'rejected' && rejected.error.code).toMatch(/^ERR_TLS_HANDSHAKE$/);
    expect(server.stats().connectionsAccepted).toBe(0);
  });

  it('refuses a certificate signed by another CA with ERR_TLS_UNKNOWN_CA', async () => {
    const { port } = await serve();
    const error = await failure(port, { ca: otherName.cert });
    expect(isTcpError(error, 'ERR_TLS_UNKNOWN_CA')).toBe(true);
  });

  it('refuses a certificate for another name with ERR_TLS_NAME_MISMATCH, and accepts it with that servername', async () => {
    const { port } = await serve(otherName);
    const error = await failure(port, { ca: otherName.cert });
    expect(isTcpError(error, 'ERR_TLS_NAME_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(/not valid for that name/);
    const client = await open(port, { ca: otherName.cert, servername: 'example.test' });
    expect(await within(client.request('named'), 5000)).toBe('named');
  });

  it('refuses an expired certificate with ERR_TLS_CERT_EXPIRED', async () => {
    const { port } = await serve(expired);
    const error = await failure(port, { ca: expired.cert });
    expect(isTcpError(error, 'ERR_TLS_CERT_EXPIRED')).toBe(true);
    expect((error as Error).message).toBe(`the certificate of 127.0.0.1:${port} has expired`);
  });

  it('refuses a certificate that is not valid yet with ERR_TLS_CERT_NOT_YET_VALID', async () => {
    const { port } = await serve(future);
    expect(isTcpError(await failure(port, { ca: future.cert }), 'ERR_TLS_CERT_NOT_YET_VALID')).toBe(true);
  });

  it('accepts a pinned fingerprint without a CA, and refuses another one with ERR_TLS_FINGERPRINT_MISMATCH', async () => {
    const { port } = await serve();
    const pinned = await open(port, { fingerprint256: loopback.fingerprint256.replaceAll(':', '').toLowerCase() });
    expect(await within(pinned.request('pinned'), 5000)).toBe('pinned');
    const error = await failure(port, { fingerprint256: otherName.fingerprint256 });
    expect(isTcpError(error, 'ERR_TLS_FINGERPRINT_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain(loopback.fingerprint256);
  });

  it('refuses a malformed pin before connecting with ERR_TLS_CONFIG', async () => {
    const { port } = await serve();
    expect(isTcpError(await failure(port, { fingerprint256: 'AB:CD' }), 'ERR_TLS_CONFIG')).toBe(true);
  });

  it('accepts any certificate when insecure', async () => {
    const { port } = await serve(expired);
    const client = await open(port, { insecure: true });
    expect(await within(client.request('anything goes'), 5000)).toBe('anything goes');
  });

  it('says ERR_TLS_NOT_TLS when the server answers in plain text', async () => {
    const plain = createTcpServer({ codec, service: testService('Hello from a plain server') });
    servers.push(plain);
    const { port } = await plain.listen();
    const error = await failure(port, { insecure: true });
    expect(isTcpError(error, 'ERR_TLS_NOT_TLS')).toBe(true);
    expect((error as Error).message).toMatch(/does not speak TLS/);
  });

  it('reports a plain-text client as a rejected connection with ERR_TLS_NOT_TLS', async () => {
    const events: TcpServerEvent[] = [];
    const { server, port } = await serve(loopback, {}, events);
    const raw = await rawConnect(port);
    raw.socket.write('hello\n');
    await within(raw.closed, 5000, 'plain client closed');
    await until(() => server.stats().tlsHandshakeFailures === 1, 5000, 'handshake failure counted');
    const rejected = events.find((event) => event.type === 'rejected');
    expect(rejected?.type === 'rejected' && rejected.error.code).toBe('ERR_TLS_NOT_TLS');
    expect(server.stats().connectionsAccepted).toBe(0);
    expect(raw.text()).not.toContain('hello');
  });

  it('closes a connection that never starts its handshake after handshakeTimeoutMs', async () => {
    const events: TcpServerEvent[] = [];
    const { server, port } = await serve(loopback, { handshakeTimeoutMs: 200 }, events);
    const raw = await rawConnect(port);
    await within(raw.closed, 5000, 'silent client closed');
    const rejected = events.find((event) => event.type === 'rejected');
    expect(rejected?.type === 'rejected' && rejected.error.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    expect(server.stats().tlsHandshakeFailures).toBe(1);
  });

  it('holds at most maxHandshakes handshakes: one past it is closed at once', async () => {
    const events: TcpServerEvent[] = [];
    const { server, port } = await serve(loopback, { maxHandshakes: 1 }, events);
    const first = await rawConnect(port);
    // The kernel's accept queue is FIFO: the first connection is accepted (and its handshake started) first.
    const second = await rawConnect(port);
    await within(second.closed, 5000, 'second connection closed');
    const rejected = events.find((event) => event.type === 'rejected');
    expect(rejected?.type === 'rejected' && rejected.error.code).toBe('ERR_TOO_MANY_CONNECTIONS');
    expect(server.stats().connectionsRejected).toBe(1);
    expect(first.socket.destroyed).toBe(false);
    first.socket.destroy();
  });

  it('sends busyReply over TLS to a connection past maxConnections', async () => {
    const server = createTcpServer({ codec, service: testService(), maxConnections: 1, busyReply: 'BUSY', tls: { cert: loopback.cert, key: loopback.key } });
    servers.push(server);
    const { port } = await server.listen();
    const first = await open(port, { ca: loopback.cert });
    expect(await within(first.request('one'), 5000)).toBe('one');
    const second = await open(port, { ca: loopback.cert });
    expect(await within(second.receive(), 5000)).toBe('BUSY');
  });

  it('ends a session gracefully over TLS: the reply before the close arrives', async () => {
    const { port } = await serve();
    const client = await open(port, { ca: loopback.cert });
    expect(await within(client.request('close'), 5000)).toBe('bye');
    expect(await within(client.done, 5000)).toBeUndefined();
  });

  it('pauses reading for a client that does not read (backpressure through TLS)', async () => {
    const server = createTcpServer({ codec, service: testService(), maxOutputBytes: 64 * 1024, tls: { cert: loopback.cert, key: loopback.key } });
    servers.push(server);
    const { port } = await server.listen();
    // A raw TLS client that sends many requests for large replies and never reads.
    const socket = connectTlsRaw({ host: '127.0.0.1', port, ca: loopback.cert });
    await within(new Promise<void>((resolve) => socket.once('secureConnect', () => { resolve(); })), 5000, 'handshake');
    socket.pause();
    socket.on('error', () => undefined);
    for (let i = 0; i < 200; i += 1) socket.write('repeat:8000\n');
    await until(() => server.stats().outputOverflows === 1, 10_000, 'output overflow');
    socket.destroy();
  });

  it('refuses a key that does not belong to the certificate with ERR_TLS_CONFIG', () => {
    expect(() => createTcpServer({ codec, service: testService(), tls: { cert: loopback.cert, key: otherName.key } })).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_CONFIG', message: 'the private key does not belong to the certificate' }),
    );
    expect(() => createTcpServer({ codec, service: testService(), tls: { cert: 'not a certificate', key: loopback.key } })).toThrow(expect.objectContaining({ code: 'ERR_TLS_CONFIG' }));
  });

  it('still reports a refused port as ERR_CONNECTION_REFUSED with TLS on', async () => {
    const server = createTcpServer({ codec, service: testService() });
    const { port } = await server.listen();
    await server.close({ graceMs: 0 });
    expect(isTcpError(await failure(port, {}), 'ERR_CONNECTION_REFUSED')).toBe(true);
  });

  it('a plain client of a TLS server reads no plain text', async () => {
    const { port } = await serve(loopback, { handshakeTimeoutMs: 500 }, [], 'secret greeting');
    const socket = connectPlain({ host: '127.0.0.1', port });
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => undefined);
    await within(new Promise<void>((resolve) => socket.once('close', () => { resolve(); })), 15_000, 'closed');
    expect(received).not.toContain('secret greeting');
  });
});

describe('TLS with the reconnecting client', () => {
  it('gives up at once on a certificate it refuses, with that error, instead of retrying', async () => {
    const { port } = await serve();
    const events: string[] = [];
    const client = createReconnectingTcpClient({ codec, port, tls: {}, maxAttempts: 50, onEvent: (event) => events.push(event.type) });
    const error: unknown = await client.connection({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(isTcpError(error, 'ERR_TLS_UNKNOWN_CA')).toBe(true);
    expect(events).toEqual(['gave-up']);
    await client.close();
  });
});
