import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The page of `netlab web`, built once at package build time into page-dist/ (served by the CLI;
 * no dev server at run time). Relative asset URLs, no CDN, no source maps in the output (they
 * would be served to anyone holding the token, and the page is small).
 */
export default defineConfig({
  root: fileURLToPath(new URL('./page', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./page-dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
