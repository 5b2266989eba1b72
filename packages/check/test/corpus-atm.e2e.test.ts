import { describe, expect, it } from 'vitest';
import { HAS_PYTHON, SERVER_CORPUS, failingCases } from './corpus.js';

// The ATM banks (their clients run in corpus-clients.e2e.test.ts).
if (!HAS_PYTHON) console.warn('ATM corpus tests skipped: python3 is not installed (they run the student-style Python banks)');

describe.skipIf(!HAS_PYTHON)(`student-style Python ATM banks${HAS_PYTHON ? '' : ': skipped, no python3'}`, () => {
  for (const entry of SERVER_CORPUS.filter((e) => e.file.startsWith('atm/'))) {
    const title = entry.fails.length === 0 ? `${entry.file} (correct) passes every case` : `${entry.file} (${entry.bug}) fails ${entry.fails.join(', ')} and nothing else`;
    it(title, { timeout: 240_000 }, async () => {
      const { ids, messages } = await failingCases(entry.file, 20261201, entry.args);
      expect(ids.sort(), messages.join('\n')).toEqual([...entry.fails].sort());
    });
  }
});
