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
});
