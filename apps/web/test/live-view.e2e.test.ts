import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, screenshotPath, startWeb, useBrowser } from './browser.js';

if (!HAS_CHROMIUM) console.warn('skipping the Live view browser tests: /usr/bin/chromium is not installed (apt-get install chromium; .ci/run installs it)');

/**
 * Runs in the page: requestAnimationFrame deltas over 3 s (performance.now() clock), and how
 * many messages the proxy forwarded meanwhile (the page's counter). A string, so the test needs
 * no DOM types.
 */
const FRAME_TIMES = `new Promise((resolve) => {
  const deltas = [];
  const count = () => Number(document.getElementById('count-forwarded').textContent);
  const start = performance.now();
  const first = count();
  let last = start;
  const tick = (now) => {
    deltas.push(now - last);
    last = now;
    if (now - start < 3000) requestAnimationFrame(tick);
    else resolve({ deltas, ms: now - start, forwarded: count() - first });
  };
  requestAnimationFrame(tick);
})`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!HAS_CHROMIUM)('netlab web: the Live view in Chromium', () => {
  const browser = useBrowser();

  async function openLive() {
    const web = await startWeb();
    cleanups.push(() => web.proc.stop('SIGTERM'));
    const page = await browser.context.newPage();
    cleanups.push(() => page.close());
    await page.goto(web.url);
    await page.getByRole('button', { name: 'Live view' }).click();
    const diagram = page.getByRole('region', { name: 'Sequence diagram' });
    // Datagrams flow both ways before any fault.
    await diagram.getByText(/^ping \d+ →$/).first().waitFor({ timeout: 15_000 });
    await diagram.getByText(/^← ping \d+$/).first().waitFor({ timeout: 15_000 });
    return { page, diagram };
  }

  const counter = async (page: Awaited<ReturnType<typeof openLive>>['page'], id: string): Promise<number> => Number(await page.locator(`#count-${id}`).textContent());

  it('draws lost datagrams within a second of moving the Loss slider to 50 %', { timeout: 90_000 }, async () => {
    const { page, diagram } = await openLive();
    expect(await diagram.locator('li.lost').count()).toBe(0);
    await page.getByRole('slider', { name: 'Loss' }).fill('50');
    expect(await page.locator('#live-loss-value').textContent()).toBe('50 %');
    // 20 datagrams a second each way at 50 %: the first loss is drawn well within the second.
    await diagram.locator('li.lost').first().waitFor({ timeout: 1000 });
    expect(await diagram.getByText(/^✗ lost \(datagram \d+\)/).count()).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('live-view'), fullPage: true });
    expect(await counter(page, 'dropped')).toBeGreaterThan(0);
  });

  it('pause holds the datagrams at the proxy and resume releases them', { timeout: 90_000 }, async () => {
    const { page, diagram } = await openLive();
    await page.getByRole('button', { name: 'Pause' }).click();
    await diagram.getByText(/^held #\d+/).first().waitFor({ timeout: 10_000 });
    await expect.poll(() => counter(page, 'held'), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const released = await counter(page, 'released');
    expect(released).toBe(0);
    // Keyboard: focus Resume and press Enter.
    await page.getByRole('button', { name: 'Resume' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => counter(page, 'held'), { timeout: 10_000 }).toBe(0);
    expect(await counter(page, 'released')).toBeGreaterThanOrEqual(5);
    await diagram.getByText(/^released #\d+/).first().waitFor({ timeout: 10_000 });
  });

  it('shows the bytes of a clicked message as hex and text in the Message bytes region', { timeout: 90_000 }, async () => {
    const { page, diagram } = await openLive();
    const bytes = page.getByRole('region', { name: 'Message bytes' });
    expect(await bytes.textContent()).toContain('Click a message');
    await diagram.getByRole('button', { name: /^ping \d+ →$/ }).first().click();
    // `ping N` in hex (70 69 6e 67 20) and as text, at offset 0000.
    await expect.poll(() => bytes.textContent(), { timeout: 5000 }).toMatch(/0000 {2}70 69 6e 67 20 3\d/);
    const text = (await bytes.textContent()) ?? '';
    expect(text).toMatch(/\d+ bytes: "ping \d+"/);
    expect(text).toMatch(/ping \d+\s*$/m);
    expect(await diagram.locator('li.selected').count()).toBeLessThanOrEqual(1);
  });

  it('goes back through the run with the Time slider and returns to following with Live', { timeout: 90_000 }, async () => {
    const { page, diagram } = await openLive();
    const time = page.getByRole('slider', { name: 'Time' });
    // Wait until the run is long enough that its first datagrams have scrolled out of the window.
    await expect.poll(() => counter(page, 'forwarded'), { timeout: 20_000 }).toBeGreaterThanOrEqual(80);
    await expect.poll(async () => diagram.getByText(/^ping 1 →$/).count(), { timeout: 10_000 }).toBe(0);
    const min = Number(await time.getAttribute('min'));
    // Back to the start: the window ends just after the first datagram.
    await time.fill(String(min + 10));
    await diagram.getByText(/^ping 1 →$/).waitFor({ timeout: 5000 });
    expect(await page.locator('#live-follow').getAttribute('aria-pressed')).toBe('false');
    const frozen = await diagram.locator('li:not([hidden])').allTextContents();
    // While reviewing, new datagrams do not move the window.
    const sentNow = await counter(page, 'sent');
    await expect.poll(() => counter(page, 'sent'), { timeout: 10_000 }).toBeGreaterThan(sentNow + 10);
    expect(await diagram.locator('li:not([hidden])').allTextContents()).toEqual(frozen);
    await page.getByRole('button', { name: 'Live', exact: true }).click();
    await expect.poll(async () => diagram.getByText(/^ping 1 →$/).count(), { timeout: 5000 }).toBe(0);
    expect(await page.locator('#live-time-value').textContent()).toBe('live');
  });

  it('exports the run as pcapng (read back by tshark), Mermaid and the trace file', { timeout: 90_000 }, async () => {
    const { page } = await openLive();
    await expect.poll(() => counter(page, 'forwarded'), { timeout: 20_000 }).toBeGreaterThanOrEqual(20);
    const dir = mkdtempSync(join(tmpdir(), 'netlab-web-export-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const download = async (name: string): Promise<string> => {
      const [file] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.getByRole('link', { name }).click()]);
      const path = join(dir, file.suggestedFilename());
      await file.saveAs(path);
      return path;
    };
    const trace = await download('Export trace');
    expect(trace).toMatch(/netlab-live-udp-echo\.jsonl$/);
    const lines = readFileSync(trace, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { kind: string; side?: string });
    const data = lines.filter((record) => record.kind === 'data');
    expect(data.length).toBeGreaterThan(20);
    const mermaid = readFileSync(await download('Export Mermaid'), 'utf8');
    expect(mermaid).toMatch(/^sequenceDiagram/m);
    expect(mermaid).toContain('ping 1');
    const pcapng = await download('Export pcapng');
    if (!existsSync('/usr/bin/tshark')) {
      console.warn('skipping the tshark read-back of the pcapng export: tshark is not installed');
      return;
    }
    const packets = execFileSync('tshark', ['-r', pcapng, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).trim().split('\n').filter((line) => line !== '');
    // The export was made after the trace one: at least as many datagrams, one packet per data record.
    expect(packets.length).toBeGreaterThanOrEqual(data.length);
    const udp = execFileSync('tshark', ['-r', pcapng, '-Y', 'udp', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).trim().split('\n').filter((line) => line !== '');
    expect(udp.length).toBe(packets.length);
  });

  it('kills and restarts the server, the counters following live', { timeout: 90_000 }, async () => {
    const { page, diagram } = await openLive();
    await page.getByRole('button', { name: 'Kill server' }).click();
    await diagram.getByText('— udp-echo server killed —').waitFor({ timeout: 10_000 });
    expect(await page.locator('#live-server').textContent()).toBe('server down');
    expect(await page.getByRole('button', { name: 'Kill server' }).isDisabled()).toBe(true);
    // Datagrams to a closed port: the proxy counts the upstream's ICMP errors.
    await expect.poll(() => counter(page, 'upstreamErrors'), { timeout: 10_000 }).toBeGreaterThan(0);
    const before = await counter(page, 'sent');
    await page.getByRole('button', { name: 'Restart server' }).click();
    await diagram.getByText(/^— udp-echo server restarted on port \d+ —$/).waitFor({ timeout: 10_000 });
    expect(await page.locator('#live-server').textContent()).toBe('server up');
    // Echoes come back for datagrams sent after the restart.
    await expect
      .poll(async () => (await diagram.getByText(/^← ping \d+$/).allTextContents()).map((text) => Number(/\d+/.exec(text)?.[0])).some((n) => n > before + 1), { timeout: 10_000 })
      .toBe(true);
  });

  it('duplicates and reorders datagrams with the Duplicate and Reorder sliders', { timeout: 90_000 }, async () => {
    const { page, diagram } = await openLive();
    await page.getByRole('slider', { name: 'Duplicate' }).fill('50');
    await diagram.locator('li.duplicated').first().waitFor({ timeout: 5000 });
    await expect.poll(() => counter(page, 'duplicated'), { timeout: 5000 }).toBeGreaterThan(0);
    await page.getByRole('slider', { name: 'Duplicate' }).fill('0');
    await page.getByRole('slider', { name: 'Reorder' }).fill('50');
    await diagram.locator('li.reordered').first().waitFor({ timeout: 5000 });
    await expect.poll(() => counter(page, 'reordered'), { timeout: 5000 }).toBeGreaterThan(0);
    expect(await diagram.getByText(/^(← )?↯ reordered \(datagram \d+\)/).count()).toBeGreaterThan(0);
  });

  it('switches the exercise to udp datetime and to tcp echo with its latency, slicer and reset', { timeout: 240_000 }, async () => {
    const { page, diagram } = await openLive();
    const exercise = page.getByRole('combobox', { name: 'Exercise' });
    await exercise.selectOption('udp-datetime');
    await diagram.getByText(/^SEND_(DATE|TIME) →$/).first().waitFor({ timeout: 30_000 });
    await diagram.getByText(/^← /).first().waitFor({ timeout: 30_000 });
    await exercise.selectOption('tcp-echo');
    await diagram.getByText(/^← ping \d+$/).first().waitFor({ timeout: 30_000 });
    expect(await page.getByRole('slider', { name: 'Loss' }).isVisible()).toBe(false);
    await page.getByRole('slider', { name: 'Latency' }).fill('200');
    await expect.poll(() => counter(page, 'delayed'), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.getByRole('slider', { name: 'Latency' }).fill('0');
    await page.getByRole('slider', { name: 'Slicer' }).fill('2');
    expect(await page.locator('#live-slicer-value').textContent()).toBe('2 B');
    await expect.poll(() => counter(page, 'sliced'), { timeout: 30_000 }).toBeGreaterThan(0);
    // Slices of two bytes each: `pi`, `ng`, …
    await diagram.getByText(/^pi →$/).first().waitFor({ timeout: 30_000 });
    await page.getByRole('slider', { name: 'Slicer' }).fill('0');
    await page.getByRole('button', { name: 'Reset connection' }).click();
    await diagram.locator('li.reset').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => counter(page, 'resets'), { timeout: 30_000 }).toBeGreaterThan(0);
    // The client reconnects, and the next connection is not reset: whole echoes again.
    const sent = await counter(page, 'sent');
    await expect
      .poll(async () => (await diagram.getByText(/^← ping \d+$/).allTextContents()).map((text) => Number(/\d+/.exec(text)?.[0])).some((n) => n > sent + 1), { timeout: 30_000 })
      .toBe(true);
    await page.screenshot({ path: screenshotPath('live-view-tcp'), fullPage: true });
  });

  it('stays responsive with 1,000 messages a second flowing (frame time p95 under 50 ms)', { timeout: 120_000 }, async () => {
    const { page } = await openLive();
    // 500 requests a second, each echoed: 1,000 messages a second through the proxy.
    await page.getByRole('slider', { name: 'Rate' }).fill('500');
    const forwardedBefore = await counter(page, 'forwarded');
    await expect.poll(() => counter(page, 'forwarded'), { timeout: 20_000 }).toBeGreaterThan(forwardedBefore + 1000);
    const result = await page.evaluate<{ deltas: number[]; ms: number; forwarded: number }>(FRAME_TIMES);
    const sorted = result.deltas.slice(1).sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? Number.POSITIVE_INFINITY;
    const perSecond = (result.forwarded * 1000) / result.ms;
    console.log(`live view at ${perSecond.toFixed(0)} messages/s: ${String(sorted.length)} frames in ${result.ms.toFixed(0)} ms, frame time p95 ${p95.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms (shared machine)`);
    expect(sorted.length).toBeGreaterThan(60);
    expect(perSecond).toBeGreaterThan(700);
    expect(p95).toBeLessThan(50);
  });
});
