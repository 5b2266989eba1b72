import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scenario.js';

const EXAMPLES = fileURLToPath(new URL('../../../docs/examples/', import.meta.url));

describe('the scenario files shipped in docs/examples', () => {
  const files = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'));

  it('has the two lab examples the docs promise', () => {
    expect(files.sort()).toEqual(['atm-flaky-link.yaml', 'udp-datetime-lossy.yaml']);
  });

  for (const file of files) {
    it(`${file} parses and validates, with a timeline`, () => {
      const scenario = parseScenario(readFileSync(`${EXAMPLES}${file}`, 'utf8'), file);
      expect(scenario.proxies.length).toBeGreaterThan(0);
      expect(scenario.timeline.length).toBeGreaterThan(0);
    });
  }
});
