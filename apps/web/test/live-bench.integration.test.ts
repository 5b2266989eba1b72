import { afterEach, describe, expect, it } from 'vitest';
import { parseTrace } from '@netlab/trace';
import { LIVE_MAX_RATE, type LiveBench, startLiveBench } from '../src/live-bench.js';
import { type LivePage, openLivePage } from './live-page.js';

type Page = LivePage;

const benches: LiveBench[] = [];
afterEach(async () => {
  for (const bench of benches.splice(0)) await bench.close();
});

const openPage = (bench: LiveBench): Page => openLivePage(bench.service);

/** Resolves once `check` holds for something the page received; fails after 5 s. */
async function until(page: Page, check: (message: Page['received'][number]) => boolean): Promise<Page['received'][number]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = page.received.find(check);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('the page was not sent what the test waits for within 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the Live view bench', () => {
  it('refuses bad commands with a message naming the limit, and takes a rate exactly at the limit', { timeout: 20_000 }, async () => {
    const bench = await startLiveBench();
    benches.push(bench);
    const page = openPage(bench);
    expect(await page.command('{not json')).toBe('not JSON');
    expect(await page.command(42)).toBe('not a command object');
    expect(await page.command({ type: 'warp' })).toBe('unknown command');
    expect(await page.command({ type: 'loss', percent: 101 })).toBe('loss: percent from 0 to 100');
    expect(await page.command({ type: 'loss', percent: 100 })).toBeUndefined();
    expect(await page.command({ type: 'delay', ms: 5001 })).toBe('delay: ms from 0 to 5000');
    expect(await page.command({ type: 'slicer', bytes: 4 })).toBe('slicer: a TCP fault (this exercise is UDP)');
    expect(await page.command({ type: 'reset' })).toBe('reset: a TCP fault (this exercise is UDP)');
    expect(await page.command({ type: 'rate', perSecond: LIVE_MAX_RATE })).toBeUndefined();
    expect(await page.command({ type: 'rate', perSecond: LIVE_MAX_RATE + 1 })).toBe('rate: perSecond from 1 to 1000');
    expect(await page.command({ type: 'exercise', name: 'ftp' })).toBe('exercise: one of udp-echo, udp-datetime, tcp-echo');
    page.close();
  });

  it('switches to tcp echo, where UDP faults are refused, and records the run for the exports', { timeout: 20_000 }, async () => {
    const bench = await startLiveBench();
    benches.push(bench);
    const page = openPage(bench);
    expect(page.received[0]).toMatchObject({ type: 'state', exercise: 'udp-echo', protocol: 'udp', server: 'up' });
    expect(await page.command({ type: 'exercise', name: 'tcp-echo' })).toBeUndefined();
    await until(page, (message) => message.type === 'state' && message.exercise === 'tcp-echo');
    expect(bench.proxy.protocol).toBe('tcp');
    expect(await page.command({ type: 'loss', percent: 10 })).toBe('loss: a UDP fault (this exercise is TCP)');
    expect(await page.command({ type: 'slicer', bytes: 1025 })).toBe('slicer: bytes from 0 (off) to 1024');
    // An echoed line: the run's trace holds both legs of it.
    await until(page, (message) => message.type === 'batch' && (message.events as { direction: string; text?: string }[]).some((event) => event.direction === 'down' && event.text === 'ping 1'));
    const records = parseTrace(new TextDecoder().decode(bench.exportRun('trace').body));
    expect(records.some((record) => record.kind === 'data' && record.transport === 'tcp')).toBe(true);
    expect(bench.exportRun('mermaid').filename).toBe('netlab-live-tcp-echo.mmd');
    expect(bench.exportRun('pcapng').body.length).toBeGreaterThan(0);
    page.close();
  });
});
