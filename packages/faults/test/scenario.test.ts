import { describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import { parseDurationMs, parseScenario } from '../src/scenario.js';

function errorOf(text: string): string {
  try {
    parseScenario(text, 'faults.yaml');
  } catch (error) {
    expect(isFaultError(error, 'ERR_CONFIG')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected ERR_CONFIG');
}

describe('parseScenario', () => {
  it("reads toxiproxy's -config shape: a JSON list of proxies", () => {
    const scenario = parseScenario('[{"name": "redis", "listen": "127.0.0.1:26379", "upstream": "127.0.0.1:6379", "enabled": true}]');
    expect(scenario.proxies).toEqual([{ name: 'redis', listen: '127.0.0.1:26379', upstream: '127.0.0.1:6379', enabled: true }]);
    expect(scenario.timeline).toEqual([]);
  });

  it('reads proxies with toxics and a timeline, sorted by time', () => {
    const scenario = parseScenario(`
proxies:
  - name: datetime
    protocol: udp
    upstream: 127.0.0.1:7160
    seed: 7
    toxics:
      - { type: delay, attributes: { delay: 20 } }
timeline:
  - { at: 15s, proxy: datetime, add: { type: partition }, for: 2s }
  - { at: 5s, proxy: datetime, add: { name: burst, type: loss, stream: both, attributes: { probability: 0.3 } }, for: 10s }
  - { at: 1m, proxy: datetime, disable: true }
`);
    expect(scenario.timeline.map((step) => [step.atMs, step.action.kind, step.line])).toEqual([
      [5000, 'add', 11],
      [15_000, 'add', 10],
      [60_000, 'disable', 12],
    ]);
    expect(scenario.timeline[0]?.action).toMatchObject({ toxic: { name: 'burst', type: 'loss', stream: 'both', attributes: { probability: 0.3, correlation: 0 } }, forMs: 10_000 });
  });

  it('names the line of a YAML syntax error', () => {
    expect(errorOf('proxies:\n  - name: a\n    upstream: [1,\n')).toMatch(/^faults\.yaml:\d+: /);
  });

  it('names the line and field of an unknown proxy field', () => {
    expect(errorOf('proxies:\n  - name: a\n    upstream: 127.0.0.1:1\n    lisen: 127.0.0.1:0\n')).toBe('faults.yaml:4: proxies[0].lisen: unknown field "lisen" in proxy');
  });

  it('names the line of a bad toxic attribute, and of a toxic for the other protocol', () => {
    const text = 'proxies:\n  - name: a\n    upstream: 127.0.0.1:1\n    toxics:\n      - type: latency\n        attributes: { latency: -5 }\n';
    expect(errorOf(text)).toMatch(/^faults\.yaml:5: proxies\[0\]\.toxics\[0\]: attribute "latency" of toxic type "latency" must be a number from 0/);
    expect(errorOf('proxies:\n  - name: a\n    protocol: udp\n    upstream: 127.0.0.1:1\n    toxics:\n      - type: latency\n')).toMatch(
      /^faults\.yaml:6: .*toxic type "latency" is for tcp proxies, not udp; use "delay"$/,
    );
  });

  it('names the line of a bad timeline step', () => {
    const base = 'proxies:\n  - { name: a, upstream: "127.0.0.1:1" }\ntimeline:\n';
    expect(errorOf(`${base}  - { at: soon, proxy: a, disable: true }\n`)).toMatch(/^faults\.yaml:4: timeline\[0\]\.at: must be a duration/);
    expect(errorOf(`${base}  - { at: 1s, proxy: b, disable: true }\n`)).toBe('faults.yaml:4: timeline[0].proxy: no proxy named "b" in this file');
    expect(errorOf(`${base}  - { at: 1s, proxy: a }\n`)).toMatch(/^faults\.yaml:4: timeline\[0\]: a step takes exactly one of add, remove/);
    expect(errorOf(`${base}  - at: 1s\n    proxy: a\n    add: { type: lag }\n`)).toMatch(/^faults\.yaml:6: timeline\[0\]\.add: invalid toxic type "lag"/);
    expect(errorOf(`${base}  - { at: 1s, proxy: a, disable: true, for: 2s }\n`)).toMatch(/"for" goes with "add" only/);
  });

  it('refuses a proxy declared twice and a missing upstream', () => {
    expect(errorOf('- { name: a, upstream: "127.0.0.1:1" }\n- { name: a, upstream: "127.0.0.1:2" }\n')).toMatch(/^faults\.yaml:2: \[1\]\.name: a proxy named "a" is declared twice$/);
    expect(errorOf('- { name: a }\n')).toBe('faults.yaml:1: [0]: missing required field: upstream');
  });

  it('reads durations in ms, s and m', () => {
    expect([parseDurationMs(250), parseDurationMs('250ms'), parseDurationMs('1.5s'), parseDurationMs('2m'), parseDurationMs('soon'), parseDurationMs(-1)]).toEqual([
      250, 250, 1500, 120_000, undefined, undefined,
    ]);
  });
});
