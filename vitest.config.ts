import { defineConfig } from 'vitest/config';

/**
 * Test projects (run all with `pnpm test:vitest`, one with `vitest run --project <name>`):
 * - unit:        pure tests, no sockets, no processes (`*.test.ts`)
 * - integration: real loopback sockets (`*.integration.test.ts`)
 * - e2e:         real app processes (`*.e2e.test.ts`)
 * - postgres:    against a real PostgreSQL at NETLAB_PG_URL (`*.pg.test.ts`; skipped, loudly, when unset)
 */
const SPECIAL = ['**/*.integration.test.ts', '**/*.e2e.test.ts', '**/*.pg.test.ts'];
const ROOTS = ['packages/*/test/**', 'apps/*/test/**'];

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ROOTS.map((r) => `${r}/*.test.ts`), exclude: [...SPECIAL, '**/node_modules/**'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ROOTS.map((r) => `${r}/*.integration.test.ts`), testTimeout: 20_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ROOTS.map((r) => `${r}/*.e2e.test.ts`), testTimeout: 60_000, hookTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'postgres', include: ROOTS.map((r) => `${r}/*.pg.test.ts`), testTimeout: 60_000, fileParallelism: false },
      },
    ],
  },
});
