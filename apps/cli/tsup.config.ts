import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

/**
 * The published `netlab` command: one ESM bundle of the umbrella, every exercise app and the
 * `@netlab/*` libraries, built from their sources (the `@netlab/source` export condition), plus
 * commander and valibot. Code behind a dynamic import (the SQLite and PostgreSQL stores, the
 * chaos run) lands in its own chunk and is loaded only when used, so `netlab echo server`
 * starts without parsing it. Only the native SQLite addon and the PostgreSQL driver stay
 * external (installed as dependencies of @netlab/cli).
 */
export default defineConfig({
  entry: { netlab: 'src/main.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: false,
  noExternal: [/^(?!better-sqlite3$|pg$)/],
  external: ['better-sqlite3', 'pg'],
  // commander is CommonJS: its require('events') & co. need a real `require` inside the ESM bundle.
  banner: { js: "import { createRequire as __netlabRequire } from 'node:module';\nconst require = __netlabRequire(import.meta.url);" },
  // `netlab web` serves the page built by apps/web (vite): it ships beside the bundle, in dist/web.
  onSuccess: () => {
    const web = fileURLToPath(new URL('../web/', import.meta.url));
    execFileSync('pnpm', ['exec', 'vite', 'build', '--config', 'vite.config.ts'], { cwd: web, stdio: 'inherit' });
    cpSync(`${web}page-dist`, fileURLToPath(new URL('./dist/web', import.meta.url)), { recursive: true });
    return Promise.resolve();
  },
  esbuildOptions(options) {
    options.conditions = ['@netlab/source'];
    options.legalComments = 'eof';
  },
});
