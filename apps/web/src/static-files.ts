/**
 * Serves the built page (page-dist/, made by `vite build` at package build time) from memory:
 * the files are read once at start (a few kB), so a request never touches the file system and
 * no path from a request is ever joined to a directory.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** Most files and bytes loaded: the page is small; anything bigger is a wrong directory. */
const MAX_FILES = 200;
const MAX_BYTES = 16 * 1024 * 1024;

/** Loads every file under `dir` as `/relative/path` → file; `/` is `index.html`. Throws when `dir` holds no index.html. */
export function loadStaticFiles(dir: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let bytes = 0;
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const body = readFileSync(path);
      bytes += body.length;
      if (files.size >= MAX_FILES || bytes > MAX_BYTES) throw new Error(`${dir} holds more than ${MAX_FILES} files or ${MAX_BYTES} bytes: not the page's build`);
      files.set(`/${relative(dir, path).split(sep).join('/')}`, { body, type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  };
  walk(dir);
  const index = files.get('/index.html');
  if (index === undefined) throw new Error(`${dir} holds no index.html`);
  files.set('/', index);
  return files;
}
