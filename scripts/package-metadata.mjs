#!/usr/bin/env node
// The metadata every publishable package carries, derived from the root package.json so that it
// is written in one place: `license`, `homepage`, `repository` (with the package's `directory`)
// and `bugs`. `check-packages.mjs` fails a package whose fields differ; this script writes them.
//
// Usage: node scripts/package-metadata.mjs [--write] [package-dir ...]
//   (default: every publishable package; without --write it only reports what differs)
//
// Edits are textual (one line per field, inserted after "license"), so the rest of each
// package.json keeps its formatting and other branches' edits to it merge cleanly.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { publishableDirs, root } from './workspace-packages.mjs';

const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The fields `dir`'s package.json must have, each as a one-line JSON value. */
export function expectedMetadata(dir) {
  const directory = relative(root, dir).split('\\').join('/');
  const repoUrl = rootManifest.repository.url;
  const web = repoUrl.replace(/^git\+/, '').replace(/\.git$/, '');
  return {
    license: rootManifest.license,
    homepage: `${web}/tree/main/${directory}#readme`,
    repository: { type: 'git', url: repoUrl, directory },
    bugs: { url: rootManifest.bugs.url },
  };
}

/** Field names whose value in `manifest` differs from `expectedMetadata(dir)`. */
export function metadataDifferences(dir, manifest) {
  const expected = expectedMetadata(dir);
  return Object.keys(expected).filter((key) => JSON.stringify(manifest[key]) !== JSON.stringify(expected[key]));
}

function oneLine(value) {
  return JSON.stringify(value).replace(/^\{/, '{ ').replace(/\}$/, ' }').replace(/","/g, '", "').replace(/":"/g, '": "');
}

function write(dir) {
  const path = join(dir, 'package.json');
  let text = readFileSync(path, 'utf8');
  const expected = expectedMetadata(dir);
  for (const [key, value] of Object.entries(expected)) {
    const line = `  "${key}": ${oneLine(value)},`;
    const existing = new RegExp(`^ {2}"${key}": (?:\\{[^\\n]*\\}|"[^"\\n]*"),?$`, 'm');
    if (existing.test(text)) {
      text = text.replace(existing, line);
    } else {
      const anchor = /^ {2}"(?:license|description)": "[^"\n]*",$/m;
      const match = [...text.matchAll(new RegExp(anchor, 'gm'))].at(-1);
      if (match === undefined) throw new Error(`${path}: no "description" or "license" line to insert after`);
      const at = match.index + match[0].length;
      text = `${text.slice(0, at)}\n${line}${text.slice(at)}`;
    }
  }
  JSON.parse(text);
  writeFileSync(path, text);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const writing = args.includes('--write');
  const dirs = args.filter((a) => a !== '--write').map((d) => resolve(d));
  let stale = 0;
  for (const dir of dirs.length > 0 ? dirs : publishableDirs()) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const differs = metadataDifferences(dir, manifest);
    if (differs.length === 0) continue;
    if (writing) {
      write(dir);
      console.log(`wrote ${differs.join(', ')} of ${manifest.name}`);
    } else {
      stale++;
      console.error(`${manifest.name}: ${differs.join(', ')} differ from the root package.json (run node scripts/package-metadata.mjs --write)`);
    }
  }
  if (stale > 0) process.exit(1);
}
