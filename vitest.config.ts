import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test projects (run all with `pnpm test:vitest`, one with `vitest run --project <name>`):
 * - unit:        pure tests, no sockets, no processes (`*.test.ts`)
 * - integration: real loopback sockets (`*.integration.test.ts`)
 * - e2e:         real app processes (`*.e2e.test.ts`)
 * - postgres:    against a real PostgreSQL at NETLAB_PG_URL (`*.pg.test.ts`; skipped, loudly, when unset)
 * - hosts:       two test hosts (network namespaces, veth, nftables loss; `*.hosts.test.ts`; root only,
 *                skipped, loudly, otherwise), one file at a time; its global setup sweeps stale hosts
 *                before and fails the run if any host namespace outlives it
 * - redis:       against a real Redis at NETLAB_REDIS_URL (`*.redis.test.ts`; skipped, loudly, when unset)
 */
const SPECIAL = ['**/*.integration.test.ts', '**/*.e2e.test.ts', '**/*.pg.test.ts', '**/*.hosts.test.ts', '**/*.redis.test.ts'];
// Relative globs, so the same config serves `vitest run` at the root and inside one package
// (vitest finds this file from a package directory and takes that directory as its root).
const ROOTS = ['**/test/**'];
const IGNORED = ['**/node_modules/**', '**/dist/**'];

/**
 * Workspace packages export `@netlab/source` → `./src/*.ts` ahead of `dist/` (docs/ARCHITECTURE.md,
 * "Workspace mechanics"): tests run on source, with no build. Vite resolves with it, and the
 * processes tests spawn inherit it through NODE_OPTIONS (so `node --import tsx app/src/main.ts`
 * finds the sources of the packages it imports too).
 */
const SOURCE_CONDITION = '@netlab/source';
if (!(process.env.NODE_OPTIONS ?? '').includes(`--conditions=${SOURCE_CONDITION}`)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=${SOURCE_CONDITION}`.trim();
}
const conditions = [SOURCE_CONDITION, 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: [SOURCE_CONDITION] } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ROOTS.map((r) => `${r}/*.test.ts`), exclude: [...SPECIAL, ...IGNORED] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ROOTS.map((r) => `${r}/*.integration.test.ts`), exclude: IGNORED, testTimeout: 20_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ROOTS.map((r) => `${r}/*.e2e.test.ts`), exclude: IGNORED, testTimeout: 60_000, hookTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'postgres', include: ROOTS.map((r) => `${r}/*.pg.test.ts`), exclude: IGNORED, testTimeout: 60_000, fileParallelism: false },
      },
      {
        extends: true,
        test: {
          name: 'hosts',
          include: ROOTS.map((r) => `${r}/*.hosts.test.ts`),
          exclude: IGNORED,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          globalSetup: [fileURLToPath(new URL('./packages/test-hosts/test/global-setup.ts', import.meta.url))],
        },
      },
      {
        extends: true,
        test: { name: 'redis', include: ROOTS.map((r) => `${r}/*.redis.test.ts`), exclude: IGNORED, testTimeout: 120_000, hookTimeout: 30_000, fileParallelism: false },
      },
    ],
  },
});
