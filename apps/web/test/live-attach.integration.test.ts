import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlApi, createControlApi } from '@netlab/faults';
import { type LiveAttach, attachLiveBench } from '../src/live-attach.js';
import { type LivePage, openLivePage } from './live-page.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openPage(view: LiveAttach): LivePage {
  const page = openLivePage(view.service);
  cleanups.push(() => {
    page.close();
    return Promise.resolve();
  });
  return page;
}

/** Resolves once `check` holds; fails after 15 s (the machine may be busy). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within 15 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lastStatus = (page: LivePage): string | undefined => {
  const states = page.received.filter((message) => message.type === 'state');
  return (states.at(-1)?.attached as { status?: string } | undefined)?.status;
};

async function startApi(port = 0): Promise<ControlApi> {
  const control = await createControlApi({ port });
  const response = await fetch(`${control.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'p', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', protocol: 'udp' }) });
  expect(response.status).toBe(201);
  await response.text();
  return control;
}

const toxicNames = async (control: ControlApi): Promise<string[]> => {
  const response = await fetch(`${control.url}/proxies/p/toxics`);
  return ((await response.json()) as { name: string }[]).map((toxic) => toxic.name);
};

describe('attach mode (live-attach.ts) against a real control API', () => {
  it('takes the only proxy when none is named, and refuses the bench-only commands', async () => {
    const control = await startApi();
    cleanups.push(() => control.close());
    const view = await attachLiveBench({ api: { host: '127.0.0.1', port: control.port } });
    cleanups.push(() => view.close());
    expect(view.target).toMatchObject({ proxy: 'p', protocol: 'udp', upstream: '127.0.0.1:9' });
    const page = openPage(view);
    expect(await page.command({ type: 'kill' })).toBe("kill: not available while attached to proxy p (its client and server are not netlab's)");
    expect(await page.command({ type: 'exercise', name: 'tcp-echo' })).toMatch(/^exercise: not available while attached/);
    expect(await page.command({ type: 'latency', ms: 100 })).toBe('latency: a TCP fault (proxy p is UDP)');
    expect(await page.command({ type: 'loss', percent: 101 })).toBe('loss: percent from 0 to 100');
  });

  it('sets its toxics on the proxy and takes them back when it closes', async () => {
    const control = await startApi();
    cleanups.push(() => control.close());
    const view = await attachLiveBench({ api: { host: '127.0.0.1', port: control.port }, proxy: 'p' });
    const page = openPage(view);
    await until(() => lastStatus(page) === 'attached', 'attached');
    expect(await page.command({ type: 'loss', percent: 30 })).toBeUndefined();
    expect(await page.command({ type: 'delay', ms: 200 })).toBeUndefined();
    await until(async () => (await toxicNames(control)).length === 4, 'four toxics on the proxy');
    expect((await toxicNames(control)).sort()).toEqual(['web_delay_downstream', 'web_delay_upstream', 'web_loss_downstream', 'web_loss_upstream']);
    await view.close();
    expect(await toxicNames(control)).toEqual([]);
  });

  it('says detached when the API goes away and attaches again when it is back', async () => {
    let control = await startApi();
    const port = control.port;
    cleanups.push(() => control.close());
    const view = await attachLiveBench({ api: { host: '127.0.0.1', port }, proxy: 'p' });
    cleanups.push(() => view.close());
    const page = openPage(view);
    await until(() => lastStatus(page) === 'attached', 'attached');
    await control.close();
    await until(() => lastStatus(page) === 'detached', 'detached after the API closed');
    control = await startApi(port);
    await until(() => lastStatus(page) === 'attached', 'attached again');
  });
});

describe('attach mode on a TCP proxy', () => {
  it('arms reset_peer for the next connection and removes it once that connection is reset', async () => {
    const echo = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => echo.close(resolve)));
    const address = echo.address();
    const upstream = typeof address === 'object' && address !== null ? address.port : 0;
    const control = await createControlApi({ port: 0 });
    cleanups.push(() => control.close());
    const created = await fetch(`${control.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 't', listen: '127.0.0.1:0', upstream: `127.0.0.1:${String(upstream)}`, protocol: 'tcp' }) });
    const listen = ((await created.json()) as { listen: string }).listen;
    const view = await attachLiveBench({ api: { host: '127.0.0.1', port: control.port } });
    cleanups.push(() => view.close());
    const page = openPage(view);
    await until(() => lastStatus(page) === 'attached', 'attached');
    expect(await page.command({ type: 'loss', percent: 10 })).toBe('loss: a UDP fault (proxy t is TCP)');
    expect(await page.command({ type: 'reset' })).toBeUndefined();
    const names = async (): Promise<string[]> => ((await (await fetch(`${control.url}/proxies/t/toxics`)).json()) as { name: string }[]).map((toxic) => toxic.name);
    await until(async () => (await names()).includes('web_reset_peer_upstream'), 'reset_peer armed');
    // The next connection is reset at its first bytes.
    const client = connect({ host: '127.0.0.1', port: Number(listen.slice(listen.lastIndexOf(':') + 1)) });
    cleanups.push(() => {
      client.destroy();
      return Promise.resolve();
    });
    const ended = new Promise<string>((resolve) => {
      client.on('error', (error: NodeJS.ErrnoException) => {
        resolve(error.code ?? error.message);
      });
      client.on('close', () => {
        resolve('closed');
      });
    });
    client.write('hello\n');
    expect(['ECONNRESET', 'closed']).toContain(await ended);
    await until(async () => (await names()).length === 0, 'reset_peer removed after the reset');
    await until(() => page.received.some((message) => message.type === 'batch' && (message.events as { kind: string }[]).some((event) => event.kind === 'reset')), 'the reset drawn');
  });
});
