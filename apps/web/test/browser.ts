/**
 * What the browser tests share: the page built once (vite, the package's build), Debian's
 * Chromium driven by playwright-core (never a downloaded browser), headless and kept off the
 * network, a fresh profile per test, and `netlab web` as a real process.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliProcess, spawnTs } from '@netlab/exercise-kit/testing';
import { type BrowserContext, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/** Screenshots land here (the repository's .tmp/, ignored by git), one per screen. */
export const SCREENSHOTS = fileURLToPath(new URL('../../../.tmp/web-screenshots/', import.meta.url));

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let assets: string | undefined;

/**
 * Builds the page as `pnpm --filter @netlab/app-web build` does, into a fresh directory of this
 * test file's own (test files run at once; one must not empty another's page), which
 * `startWeb` hands to `netlab web` through NETLAB_WEB_ASSETS.
 */
export async function buildPage(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'netlab-web-page-'));
  await build({ configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  assets = outDir;
}

/** Removes the page built by `buildPage`. */
export function removePage(): void {
  if (assets !== undefined) rmSync(assets, { recursive: true, force: true });
  assets = undefined;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'netlab-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 760 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * For a describe block: builds the page and launches Chromium before its tests, closes both
 * after them. The browser's context is there from the first test on.
 */
export function useBrowser(): { readonly context: BrowserContext } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    await buildPage();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    removePage();
  });
  return {
    get context() {
      if (browser === undefined) throw new Error('the browser is not launched yet (use it inside a test)');
      return browser.context;
    },
  };
}

export interface WebProcess {
  readonly proc: CliProcess;
  readonly url: string;
  readonly chatPort: number;
}

/** Starts `netlab web --port 0 …args` and waits for its startup lines. */
export async function startWeb(args: readonly string[] = []): Promise<WebProcess> {
  const proc = spawnTs(MAIN, ['--port', '0', ...args], assets === undefined ? {} : { env: { NETLAB_WEB_ASSETS: assets } });
  try {
    const web = await proc.waitForLine(/^web listening on (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/, 30_000);
    const chat = /^chat listening on tcp:\/\/127\.0\.0\.1:(\d+)$/m.exec(proc.stdout());
    return { proc, url: web[1] ?? '', chatPort: Number(chat?.[1] ?? 0) };
  } catch (error) {
    await proc.stop('SIGKILL');
    throw error;
  }
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
