import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { spawnTs } from '@netlab/exercise-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, screenshotPath, startWeb, useBrowser } from './browser.js';

if (!HAS_CHROMIUM) console.warn('skipping the ATM screen browser tests: /usr/bin/chromium is not installed (apt-get install chromium; .ci/run installs it)');

const ATM_MAIN = fileURLToPath(new URL('../../atm/src/main.ts', import.meta.url));

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempStore(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-web-atm-test-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  });
  return join(dir, 'bank.db');
}

describe.skipIf(!HAS_CHROMIUM)('netlab web: the ATM screen in Chromium', () => {
  const browser = useBrowser();

  async function openAtm(store: string) {
    const web = await startWeb(['--atm-store', store]);
    cleanups.push(() => web.proc.stop('SIGTERM'));
    const atmPort = Number(/^atm listening on tcp:\/\/127\.0\.0\.1:(\d+)$/m.exec(web.proc.stdout())?.[1] ?? 0);
    const page = await browser.context.newPage();
    cleanups.push(() => page.close());
    await page.goto(web.url);
    await page.getByRole('button', { name: 'ATM', exact: true }).click();
    // The ledger arrives as soon as the screen's socket is open.
    await page.locator('#ledger-rows tr').first().waitFor({ timeout: 15_000 });
    return { web, page, atmPort };
  }

  it('withdraws once under 50 % lost replies, keyboard only, and the store shows one applied withdrawal', { timeout: 120_000 }, async () => {
    const store = tempStore();
    const { web, page } = await openAtm(store);
    // A password field has no ARIA role (browsers expose it as a protected text field): found by its label.
    const pin = page.getByLabel('PIN', { exact: true });
    expect(await pin.getAttribute('type')).toBe('password');

    const slider = page.getByRole('slider', { name: 'Reply loss' });
    await slider.fill('50');
    expect(await page.locator('#atm-loss-value').textContent()).toBe('50 %');

    // Keyboard only: Card, Tab to the PIN, Enter logs in; the focus moves to Amount; Enter withdraws.
    await page.getByRole('textbox', { name: 'Card' }).focus();
    await page.keyboard.type('123456789');
    await page.keyboard.press('Tab');
    await pin.and(page.locator(':focus')).waitFor({ timeout: 5000 });
    await page.keyboard.type('1234');
    await page.keyboard.press('Enter');
    const status = page.getByRole('status').and(page.locator('#atm-status'));
    await status.getByText(/^Welcome, Lab User\./).waitFor({ timeout: 60_000 });
    expect(await pin.inputValue()).toBe('');
    await page.getByRole('textbox', { name: 'Amount' }).and(page.locator(':focus')).waitFor({ timeout: 5000 });
    await page.keyboard.type('20');
    await page.keyboard.press('Enter');
    await status.getByText(/^Dispensed 20\.00 \(once\)\. Balance 980\.00\.$/).waitFor({ timeout: 90_000 });

    // The live ledger shows the debit; the counters show what the lost replies cost.
    const ledgerRow = page.locator('#ledger-rows tr').filter({ hasText: '123456789' });
    await ledgerRow.getByText('980.00', { exact: true }).waitFor({ timeout: 10_000 });
    await page.getByRole('list', { name: 'Journal' }).getByText(/confirm 123456789 20\.00 APPROVED/).waitFor({ timeout: 10_000 });
    const lost = Number(await page.locator('#atm-count-lost').textContent());
    const resent = Number(await page.locator('#atm-count-resent').textContent());
    console.info(`ATM screen at 50 % reply loss: ${String(lost)} replies lost, ${String(resent)} requests resent`);
    // The relay's loss decisions are seeded (seed 1, first page): the first reply at 50 % is lost,
    // so at least one reply was lost and its request resent, whatever the timing.
    expect(lost).toBeGreaterThanOrEqual(1);
    expect(resent).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: screenshotPath('atm'), fullPage: true });

    expect(await web.proc.stop('SIGTERM')).toBe(0);
    const db = new Database(store, { readonly: true, fileMustExist: true });
    try {
      const account = db.prepare<[], { balance: number }>("SELECT balance FROM atm_accounts WHERE card = '123456789'").get();
      expect(account?.balance).toBe(100_000 - 2_000);
      const applied = db.prepare<[], { op: string; amount: number; n: number }>("SELECT op, amount, count(*) AS n FROM atm_journal WHERE card = '123456789' AND code = 'APPROVED' AND op IN ('withdraw', 'confirm') GROUP BY op, amount ORDER BY op").all();
      expect(applied).toEqual([
        { op: 'confirm', amount: 2_000, n: 1 },
        { op: 'withdraw', amount: 2_000, n: 1 },
      ]);
      const withdrawals = db.prepare<[], { status: string; amount: number }>("SELECT status, amount FROM atm_withdrawals WHERE card = '123456789'").all();
      expect(withdrawals).toEqual([{ status: 'dispensed', amount: 2_000 }]);
      // No request id was applied twice (the journal has no unique key on purpose: a double would show).
      const doubles = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM (SELECT terminal, seq FROM atm_journal GROUP BY terminal, seq HAVING count(*) > 1)').get();
      expect(doubles?.n).toBe(0);
    } finally {
      db.close();
    }
  });

  it('shows a wrong PIN as declined, and a terminal ATM client uses the same bank (the ledger follows live)', { timeout: 120_000 }, async () => {
    const store = tempStore();
    const { page, atmPort } = await openAtm(store);
    await page.getByRole('textbox', { name: 'Card' }).fill('1000000001');
    await page.getByLabel('PIN', { exact: true }).fill('9999');
    await page.getByRole('button', { name: 'Log in' }).click();
    const status = page.locator('#atm-status');
    await status.getByText(/^Login declined: INCORRECT_PIN/).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Withdraw' }).isDisabled()).toBe(true);

    // `netlab atm client` deposits into the same bank; the page's ledger shows it without a reload.
    const client = spawnTs(ATM_MAIN, ['client', '--port', String(atmPort), '--card', '1000000004', 'deposit', '5.00'], { env: { NETLAB_ATM_PIN: '1234' } });
    cleanups.push(() => client.stop('SIGKILL'));
    expect(await client.exited(60_000)).toBe(0);
    expect(client.stdout()).toMatch(/^OK deposited 5\.00 balance 1205\.00$/m);
    const row = page.locator('#ledger-rows tr').filter({ hasText: '1000000004' });
    await row.getByText('1205.00', { exact: true }).waitFor({ timeout: 10_000 });
  });

  it('attaches to a running netlab atm server with --atm, and shows its ledger with --atm-store', { timeout: 120_000 }, async () => {
    const store = tempStore();
    const bank = spawnTs(ATM_MAIN, ['server', '--port', '0', '--store', `sqlite:${store}`, '--pin-cost', '4']);
    cleanups.push(() => bank.stop('SIGTERM'));
    const port = (await bank.waitForLine(/^atm listening on tcp:\/\/127\.0\.0\.1:(\d+)$/, 30_000))[1] ?? '';
    const web = await startWeb(['--atm', `127.0.0.1:${port}`, '--atm-store', store]);
    cleanups.push(() => web.proc.stop('SIGTERM'));
    // Attached: netlab web starts no bank of its own.
    expect(web.proc.stdout()).not.toMatch(/^atm listening/m);
    const page = await browser.context.newPage();
    cleanups.push(() => page.close());
    await page.goto(web.url);
    await page.getByRole('button', { name: 'ATM', exact: true }).click();
    await page.getByRole('textbox', { name: 'Card' }).fill('1000000002');
    await page.getByLabel('PIN', { exact: true }).fill('1234');
    await page.getByRole('button', { name: 'Log in' }).click();
    const status = page.locator('#atm-status');
    await status.getByText(/^Welcome, Sami\./).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Balance' }).click();
    await status.getByText('Balance 45720.00.', { exact: true }).waitFor({ timeout: 30_000 });
    await page.getByRole('list', { name: 'Journal' }).getByText(/balance 1000000002 APPROVED/).waitFor({ timeout: 10_000 });
  });

  it('a chaos run of 4 ATMs under 30 % lost replies draws its chart live and applies every withdrawal once', { timeout: 150_000 }, async () => {
    const store = tempStore();
    const { web, page } = await openAtm(store);
    await page.getByRole('slider', { name: 'Reply loss' }).fill('30');
    await page.getByRole('button', { name: 'Chaos run' }).click();
    const chart = page.getByRole('img', { name: 'Chaos chart' });
    // The chart draws while the run goes: a line with points before the run ends.
    await expect.poll(async () => (await chart.locator('polyline.dispensed').getAttribute('points'))?.split(' ').length ?? 0, { timeout: 60_000 }).toBeGreaterThan(1);
    await page.locator('#atm-status').getByText(/^Chaos run: 40 of 40 withdrawals of 1\.00 dispensed by 4 ATMs/).waitFor({ timeout: 120_000 });
    await page.screenshot({ path: screenshotPath('atm-chaos'), fullPage: true });
    expect(await web.proc.stop('SIGTERM')).toBe(0);
    const db = new Database(store, { readonly: true, fileMustExist: true });
    try {
      const cards = ['1000000001', '1000000002', '1000000003', '1000000004'];
      const before = new Map([['1000000001', 116_900], ['1000000002', 4_572_000], ['1000000003', 7_000_000], ['1000000004', 120_000]]);
      for (const card of cards) {
        const balance = db.prepare<[string], { balance: number }>('SELECT balance FROM atm_accounts WHERE card = ?').get(card)?.balance;
        expect(balance).toBe((before.get(card) ?? 0) - 10 * 100);
        const ops = db.prepare<[string], { op: string; n: number }>("SELECT op, count(*) AS n FROM atm_journal WHERE card = ? AND code = 'APPROVED' AND op IN ('withdraw', 'confirm') GROUP BY op ORDER BY op").all(card);
        expect(ops).toEqual([{ op: 'confirm', n: 10 }, { op: 'withdraw', n: 10 }]);
      }
      const doubles = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM (SELECT terminal, seq FROM atm_journal GROUP BY terminal, seq HAVING count(*) > 1)').get();
      expect(doubles?.n).toBe(0);
    } finally {
      db.close();
    }
  });
});
