import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECK_ERROR_CODES, CLIENT_SUITES, SERVER_SUITES } from '../src/index.js';

const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

describe('documentation', () => {
  it('docs/check.md lists every case id of every built-in suite', () => {
    const doc = read('../../../docs/check.md');
    const missing = [...SERVER_SUITES, ...CLIENT_SUITES].flatMap((s) => s.cases.map((c) => c.id)).filter((id) => !doc.includes(`\`${id}\``));
    expect(missing).toEqual([]);
  });

  it('every case id is unique and shaped <exercise>.<group>.<name>', () => {
    const ids = [...SERVER_SUITES, ...CLIENT_SUITES].flatMap((s) => s.cases.map((c) => ({ id: c.id, exercise: s.exercise, group: c.group })));
    expect(new Set(ids.map((c) => c.id)).size).toBe(ids.length);
    for (const c of ids) expect(c.id).toMatch(new RegExp(`^${c.exercise}\\.${c.group}\\.[a-z0-9-]+$`, 'u'));
  });

  it('the package README lists every error code', () => {
    const readme = read('../README.md');
    for (const code of Object.keys(CHECK_ERROR_CODES)) expect(readme).toContain(`\`${code}\``);
  });
});
