/**
 * What TLS costs on the TCP transport, against plain TCP in the same run, and what the
 * self-signed certificate builder costs against `openssl req`:
 *
 * - round trips: one connection, 2,000 sequential line requests (echo), plain vs TLS;
 * - connections: 100 × (connect, one request, close), plain vs TLS (the handshake);
 * - certificates: `createSelfSignedCertificate()` vs `openssl req -x509 -newkey ec` (a process).
 *
 * Variants alternate (A B A B …, 7 slices each); printed are each variant's median and the
 * median and range of the per-slice ratios. Nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLineCodec } from '@netlab/codec';
import type { Service } from '@netlab/service';
import { type TcpClientTlsOptions, connectTcp, createSelfSignedCertificate, createTcpServer } from '@netlab/transport-tcp';
import { fmt, table } from './harness.js';

const SLICES = 7;
const codec = createLineCodec();
const echo: Service<string, string> = { name: 'echo', open: () => ({ receive: (line: string) => [line] }) };
const certificate = createSelfSignedCertificate();

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Runs A and B alternately; returns both medians and the per-slice B/A ratios. */
async function abab(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<{ a: number; b: number; ratios: number[] }> {
  await a();
  await b();
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < SLICES; i++) {
    as.push(await time(a));
    bs.push(await time(b));
  }
  return { a: median(as), b: median(bs), ratios: as.map((ms, i) => (bs[i] ?? 0) / ms) };
}

const plainServer = createTcpServer({ codec, service: echo, firstMessageTimeoutMs: 0 });
const tlsServer = createTcpServer({ codec, service: echo, firstMessageTimeoutMs: 0, tls: { cert: certificate.cert, key: certificate.key } });
const plainPort = (await plainServer.listen()).port;
const tlsPort = (await tlsServer.listen()).port;
const trust: TcpClientTlsOptions = { ca: certificate.cert };

const ROUND_TRIPS = 2000;
const roundTrips = (port: number, tls: TcpClientTlsOptions | undefined) => async (): Promise<void> => {
  const client = await connectTcp({ codec, port, ...(tls === undefined ? {} : { tls }) });
  for (let i = 0; i < ROUND_TRIPS; i++) await client.request(`line number ${i} of the benchmark`);
  await client.close();
};

const CONNECTIONS = 100;
const connections = (port: number, tls: TcpClientTlsOptions | undefined) => async (): Promise<void> => {
  for (let i = 0; i < CONNECTIONS; i++) {
    const client = await connectTcp({ codec, port, ...(tls === undefined ? {} : { tls }) });
    await client.request('hello');
    await client.close();
  }
};

const dir = mkdtempSync(join(tmpdir(), 'netlab-tls-bench-'));
const CERTIFICATES = 10;
const builder = (): Promise<void> => {
  for (let i = 0; i < CERTIFICATES; i++) createSelfSignedCertificate();
  return Promise.resolve();
};
const openssl = (): Promise<void> => {
  for (let i = 0; i < CERTIFICATES; i++) {
    const result = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'], { stdio: 'ignore' });
    if (result.status !== 0) throw new Error('openssl req failed');
  }
  return Promise.resolve();
};

const rows: string[][] = [];
const row = (name: string, unit: string, count: number, result: { a: number; b: number; ratios: number[] }, labels: [string, string]): void => {
  const ratios = [...result.ratios].sort((x, y) => x - y);
  rows.push([
    name,
    `${labels[0]} ${fmt((count * 1000) / result.a)} ${unit}/s`,
    `${labels[1]} ${fmt((count * 1000) / result.b)} ${unit}/s`,
    `${median(ratios).toFixed(2)}× (${(ratios[0] ?? 0).toFixed(2)}–${(ratios.at(-1) ?? 0).toFixed(2)})`,
  ]);
};

row('round trips, 1 connection', 'req', ROUND_TRIPS, await abab(roundTrips(plainPort, undefined), roundTrips(tlsPort, trust)), ['plain', 'tls']);
row('connect + 1 request + close', 'conn', CONNECTIONS, await abab(connections(plainPort, undefined), connections(tlsPort, trust)), ['plain', 'tls']);
const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status === 0;
if (hasOpenssl) row('self-signed certificate', 'cert', CERTIFICATES, await abab(openssl, builder), ['openssl req', 'builder']);
else console.log('openssl not on PATH: the certificate row is skipped');

table(`TLS cost (${SLICES} interleaved slices; ratio = time of the second variant / the first, median (range); load average ${(await import('node:os')).loadavg()[0]?.toFixed(1) ?? '?'})`, ['measure', 'A', 'B', 'time B / time A'], rows);

await plainServer.close({ graceMs: 0 });
await tlsServer.close({ graceMs: 0 });
rmSync(dir, { recursive: true, force: true });
