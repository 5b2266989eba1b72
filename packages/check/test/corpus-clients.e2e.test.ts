import { describe, expect, it } from 'vitest';
import { CLIENT_CORPUS, HAS_PYTHON, failingClientCases } from './corpus.js';

if (!HAS_PYTHON) console.warn('client corpus tests skipped: python3 is not installed (they run the student-style Python clients)');

describe.skipIf(!HAS_PYTHON)(`student-style Python clients${HAS_PYTHON ? '' : ': skipped, no python3'}`, () => {
  for (const entry of CLIENT_CORPUS) {
    const title = entry.fails.length === 0 ? `${entry.file} (correct) passes every case` : `${entry.file} (${entry.bug}) fails ${entry.fails.join(', ')} and nothing else`;
    it(title, { timeout: 240_000 }, async () => {
      const { ids, messages } = await failingClientCases(entry.file, 20261201, entry.args);
      expect(ids.sort(), messages.join('\n')).toEqual([...entry.fails].sort());
    });
  }
});
