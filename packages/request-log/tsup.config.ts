import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per subpath export, so `@netlab/request-log` never loads better-sqlite3, pg or a transport.
  entry: { index: 'src/index.ts', sqlite: 'src/sqlite/index.ts', postgres: 'src/postgres/index.ts', link: 'src/link/index.ts' },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  external: ['better-sqlite3', 'pg'],
});
