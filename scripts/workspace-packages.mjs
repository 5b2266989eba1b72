// The workspace's packages as the scripts see them: every directory under packages/ and apps/
// with a package.json. A package is publishable when it is not `"private": true`; new packages
// are picked up by the package checks and the install test without any list to edit.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');

/** Every workspace package directory (packages/*, apps/*), sorted. */
export function packageDirs() {
  return ['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(root, parent))
      .sort()
      .map((name) => join(root, parent, name))
      .filter((dir) => existsSync(join(dir, 'package.json'))),
  );
}

export function readManifest(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/** The directories of the packages that are published (not private). */
export function publishableDirs() {
  return packageDirs().filter((dir) => readManifest(dir).private !== true);
}
