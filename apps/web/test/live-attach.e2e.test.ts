import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlApi, createControlApi } from '@netlab/faults';
import { createTextDatagramCodec } from '@netlab/exercise-kit';
import type { Service } from '@netlab/service';
import { createUdpServer } from '@netlab/transport-udp';
import { HAS_CHROMIUM, MAIN, screenshotPath, startWeb, useBrowser } from './browser.js';
import { spawnTs } from '@netlab/exercise-kit/testing';

if (!HAS_CHROMIUM) console.warn('skipping the Live view attach browser tests: /usr/bin/chromium is not installed (apt-get install chromium; .ci/run installs it)');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The API's JSON for one path (GET), or the status of a request with a body. */
async function api(control: ControlApi, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${control.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

interface Stats {
  counters: { upstream: Record<string, number>; downstream: Record<string, number> };
  hold: { units: number; released_total: number } | null;
}

/**
 * A UDP echo server (netlab's transport and datagram codec), the faults control API with one UDP
 * proxy "echo" in front of it, and a client of the test's own sending `hello N` through the proxy
 * every 50 ms: someone else's pair, as far as `netlab web` knows.
 */
async function startLab(): Promise<{ control: ControlApi; stats: () => Promise<Stats> }> {
  const echo: Service<string, string> = { name: 'echo', open: () => ({ receive: (message: string): readonly string[] => [message] }) };
  const server = createUdpServer({ codec: createTextDatagramCodec(), service: echo, host: '127.0.0.1', port: 0 });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ graceMs: 0 }));
  const control = await createControlApi({ port: 0 });
  cleanups.push(() => control.close());
  const created = await api(control, 'POST', '/proxies', { name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${String(port)}`, protocol: 'udp' });
  expect(created.status).toBe(201);
  const listen = (created.json as { listen: string }).listen;
  const proxyPort = Number(listen.slice(listen.lastIndexOf(':') + 1));
  const client = createSocket('udp4');
  client.on('error', () => undefined);
  client.on('message', () => undefined);
  await new Promise<void>((resolve) => {
    client.connect(proxyPort, '127.0.0.1', resolve);
  });
  let n = 0;
  const ticker = setInterval(() => {
    n += 1;
    client.send(`hello ${String(n)}`);
  }, 50);
  cleanups.push(() => {
    clearInterval(ticker);
    client.close();
    return Promise.resolve();
  });
  return { control, stats: async () => (await api(control, 'GET', '/proxies/echo/stats')).json as Stats };
}

describe.skipIf(!HAS_CHROMIUM)('netlab web --proxy-api: the Live view attached to a running proxy, in Chromium', () => {
  const browser = useBrowser();

  async function openAttached(control: ControlApi) {
    const web = await startWeb(['--proxy-api', `127.0.0.1:${String(control.port)}`, '--proxy', 'echo']);
    cleanups.push(() => web.proc.stop('SIGTERM'));
    expect(web.proc.stdout()).toMatch(/^live view attached to proxy echo \(udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+\) at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(web.proc.stdout()).not.toMatch(/^proxy listening on/m);
    const page = await browser.context.newPage();
    cleanups.push(() => page.close());
    await page.goto(web.url);
    await page.getByRole('button', { name: 'Live view' }).click();
    const diagram = page.getByRole('region', { name: 'Sequence diagram' });
    return { web, page, diagram };
  }

  it('draws the datagrams of a client it did not start, and its Loss, Pause and Resume act on that proxy', { timeout: 120_000 }, async () => {
    const { control, stats } = await startLab();
    const { page, diagram } = await openAttached(control);
    // The page says which proxy it watches, and the bench's own controls are gone.
    await expect.poll(() => page.locator('#live-attach').textContent(), { timeout: 15_000 }).toMatch(/^Attached to proxy echo \(UDP 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+\) at http:\/\/127\.0\.0\.1:\d+/);
    expect(await page.getByLabel('Exercise').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Kill server' }).isVisible()).toBe(false);
    expect(await page.getByRole('link', { name: 'Export pcapng' }).isVisible()).toBe(false);
    // The test's own client's datagrams, both ways.
    await diagram.getByText(/^hello \d+ →$/).first().waitFor({ timeout: 15_000 });
    await diagram.getByText(/^← hello \d+$/).first().waitFor({ timeout: 15_000 });

    await page.getByRole('slider', { name: 'Loss' }).fill('50');
    await diagram.locator('li.lost').first().waitFor({ timeout: 15_000 });
    expect(await diagram.getByText(/^✗ lost \(datagram \d+\)/).count()).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('live-attach'), fullPage: true });
    // The proxy itself was changed: its toxics and its own counters say so.
    const toxics = (await api(control, 'GET', '/proxies/echo/toxics')).json as { name: string; attributes: { probability: number } }[];
    expect(toxics.find((toxic) => toxic.name === 'web_loss_upstream')?.attributes.probability).toBe(0.5);
    const dropped = await stats();
    expect((dropped.counters.upstream.dropped ?? 0) + (dropped.counters.downstream.dropped ?? 0)).toBeGreaterThan(0);
    await page.getByRole('slider', { name: 'Loss' }).fill('0');
    await expect.poll(async () => ((await api(control, 'GET', '/proxies/echo/toxics')).json as unknown[]).length, { timeout: 10_000 }).toBe(0);

    await page.getByRole('button', { name: 'Pause' }).click();
    await diagram.getByText(/^held #\d+/).first().waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await stats()).hold?.units ?? 0, { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    await expect.poll(async () => Number(await page.locator('#count-held').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(async () => (await stats()).hold?.units ?? -1, { timeout: 15_000 }).toBe(0);
    expect((await stats()).hold?.released_total ?? 0).toBeGreaterThanOrEqual(5);
    await diagram.getByText(/^released #\d+/).first().waitFor({ timeout: 15_000 });
  });

  it('shows "detached" when the proxy is removed, and keeps serving the page', { timeout: 120_000 }, async () => {
    const { control } = await startLab();
    const { web, page } = await openAttached(control);
    await expect.poll(() => page.locator('#live-attach').textContent(), { timeout: 15_000 }).toMatch(/^Attached to proxy echo/);
    expect((await api(control, 'DELETE', '/proxies/echo')).status).toBe(204);
    await expect.poll(() => page.locator('#live-attach').textContent(), { timeout: 15_000 }).toMatch(/^Detached from proxy echo .*the proxy was deleted/);
    const served = await fetch(web.url);
    expect(served.status).toBe(200);
    await served.text();
  });
});

describe('netlab web --proxy-api: errors at start', () => {
  it('exits 1 with one line when the API is unreachable', { timeout: 60_000 }, async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => {
      probe.close(() => {
        resolve();
      });
    });
    const proc = spawnTs(MAIN, ['--port', '0', '--proxy-api', `127.0.0.1:${String(port)}`]);
    cleanups.push(() => proc.stop('SIGKILL'));
    expect(await proc.exited(45_000)).toBe(1);
    const lines = proc.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`cannot reach the proxy API at http://127\\.0\\.0\\.1:${String(port)}: ECONNREFUSED`));
    expect(proc.stderr()).not.toMatch(/\n\s+at /);
    expect(proc.stdout()).not.toMatch(/listening/);
  });

  it('lists the proxies when --proxy names one the API does not have', { timeout: 60_000 }, async () => {
    const control = await createControlApi({ port: 0 });
    cleanups.push(() => control.close());
    for (const name of ['alpha', 'beta']) expect((await api(control, 'POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: '127.0.0.1:9', protocol: 'udp' })).status).toBe(201);
    const proc = spawnTs(MAIN, ['--port', '0', '--proxy-api', `127.0.0.1:${String(control.port)}`, '--proxy', 'gamma']);
    cleanups.push(() => proc.stop('SIGKILL'));
    expect(await proc.exited(45_000)).toBe(1);
    const lines = proc.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no proxy named "gamma" at http:\/\/127\.0\.0\.1:\d+ \(its proxies: alpha, beta\)/);
  });
});
