import { connectRawTcp } from '@netlab/exercise-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, screenshotPath, startWeb, useBrowser } from './browser.js';

if (!HAS_CHROMIUM) console.warn('skipping the browser tests of netlab web: /usr/bin/chromium is not installed (apt-get install chromium; .ci/run installs it)');

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!HAS_CHROMIUM)('netlab web: the Chat screen in Chromium', () => {
  const browser = useBrowser();

  it('a browser member and a TCP member exchange lines both ways, keyboard only', { timeout: 90_000 }, async () => {
    const web = await startWeb();
    cleanups.push(() => web.proc.stop('SIGTERM'));
    const page = await browser.context.newPage();
    cleanups.push(() => page.close());
    await page.goto(web.url);

    // Keyboard only: type the name, Enter submits the form.
    await page.getByRole('textbox', { name: 'Name' }).focus();
    await page.keyboard.type('webby');
    await page.keyboard.press('Enter');
    const members = page.getByRole('list', { name: 'Members' });
    await members.getByText('webby', { exact: true }).waitFor({ timeout: 15_000 });

    const nc = await connectRawTcp(web.chatPort);
    cleanups.push(() => {
      nc.destroy();
      return undefined;
    });
    nc.write('netcat\n');
    await members.getByText('netcat', { exact: true }).waitFor({ timeout: 15_000 });

    // Joining moved the focus to the Message box: typing goes straight into it.
    await page.getByRole('textbox', { name: 'Message' }).and(page.locator(':focus')).waitFor({ timeout: 5000 });
    await page.keyboard.type('hello from chromium');
    await page.keyboard.press('Enter');
    await nc.waitForLines(3, 15_000);
    expect(nc.text().split('\n')).toContain('webby: hello from chromium');

    nc.write('hi webby, from nc\n');
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('netcat: hi webby, from nc', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await members.getByRole('listitem').allTextContents()).toEqual(['webby', 'netcat']);
    // The /who the page sent on joining filled the list; its answer is not a message.
    expect(await log.getByText(/^Members \(/).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('chat'), fullPage: true });

    nc.write('quit\n');
    await members.getByText('netcat', { exact: true }).waitFor({ state: 'detached', timeout: 15_000 });
    expect(await log.getByText('netcat has left the chat.', { exact: true }).count()).toBe(1);
  });

  it('refuses the page without its token, and a page of another origin cannot open its WebSocket', { timeout: 60_000 }, async () => {
    const web = await startWeb();
    cleanups.push(() => web.proc.stop('SIGTERM'));
    const bare = web.url.replace(/\?token=.*$/, '');
    const page = await browser.context.newPage();
    cleanups.push(() => page.close());
    const response = await page.goto(bare);
    expect(response?.status()).toBe(401);
    // A page served from elsewhere (about:blank here) has no cookie for the bench and a foreign Origin.
    const other = await browser.context.newPage();
    cleanups.push(() => other.close());
    const wsUrl = bare.replace(/^http/, 'ws') + 'ws/chat';
    const code = await other.evaluate(
      (url) =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(url);
          ws.onclose = (event) => {
            resolve(event.code);
          };
        }),
      wsUrl,
    );
    expect(code).toBe(1006); // the upgrade was refused (401): no WebSocket was ever open
  });
});
