import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, HAS_CHROMIUM, buildPage, removePage, launchBrowser, screenshotPath, startWeb } from './browser.js';

if (!HAS_CHROMIUM) console.warn('skipping the Live view browser tests: /usr/bin/chromium is not installed (apt-get install chromium; .ci/run installs it)');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!HAS_CHROMIUM)('netlab web: the Live view in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    await buildPage();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser.close();
    removePage();
  });

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
    await diagram.getByText(/^ping 40 →$/).waitFor({ timeout: 20_000 });
    await expect.poll(async () => diagram.getByText(/^ping 1 →$/).count(), { timeout: 10_000 }).toBe(0);
    const min = Number(await time.getAttribute('min'));
    // Back to the start: the window ends just after the first datagram.
    await time.fill(String(min + 10));
    await diagram.getByText(/^ping 1 →$/).waitFor({ timeout: 5000 });
    expect(await page.locator('#live-follow').getAttribute('aria-pressed')).toBe('false');
    const frozen = await diagram.locator('li:not([hidden])').allTextContents();
    // While reviewing, new datagrams do not move the window.
    await page.waitForFunction((limit) => Number(document.getElementById('count-sent')?.textContent) > limit, Number(await page.locator('#count-sent').textContent()) + 10, { timeout: 10_000 });
    expect(await diagram.locator('li:not([hidden])').allTextContents()).toEqual(frozen);
    await page.getByRole('button', { name: 'Live', exact: true }).click();
    await expect.poll(async () => diagram.getByText(/^ping 1 →$/).count(), { timeout: 5000 }).toBe(0);
    expect(await page.locator('#live-time-value').textContent()).toBe('live');
  });

  it('exports the run as pcapng (read back by tshark), Mermaid and the trace file', { timeout: 90_000 }, async () => {
    const { page, diagram } = await openLive();
    await diagram.getByText(/^← ping 10$/).waitFor({ timeout: 20_000 });
    const dir = mkdtempSync(join(tmpdir(), 'netlab-web-export-'));
    cleanups.push(async () => {
      rmSync(dir, { recursive: true, force: true });
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
});
