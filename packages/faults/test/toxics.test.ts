import { describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import { createPrng } from '../src/prng.js';
import { createToxicBoard } from '../src/toxic-board.js';
import { datagramOptionsWith, parseToxic, streamOptionsWith, updateToxic } from '../src/toxics.js';

function message(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(isFaultError(error, 'ERR_INVALID_TOXIC')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected ERR_INVALID_TOXIC');
}

describe('toxics', () => {
  it("fills in toxiproxy's defaults: downstream, toxicity 1, <type>_<stream>, missing attributes 0", () => {
    expect(parseToxic({ type: 'latency', attributes: { latency: 10 } }, 'tcp')).toEqual({
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 10, jitter: 0 },
    });
    expect(parseToxic({ type: 'partition' }, 'udp')).toMatchObject({ name: 'partition_both', stream: 'both', attributes: {} });
  });

  it('names what is wrong: unknown field, type, attribute, a value out of range, the wrong protocol', () => {
    expect(message(() => parseToxic({ type: 'latency', strem: 'up' }, 'tcp'))).toBe('unknown field "strem" in toxic');
    expect(message(() => parseToxic({ type: 'jitter' }, 'udp'))).toMatch(/^invalid toxic type "jitter": a udp proxy takes loss, duplicate, reorder, corrupt, delay, drop_first, partition$/);
    expect(message(() => parseToxic({ type: 'slicer', attributes: { size: 3 } }, 'tcp'))).toMatch(/unknown attribute "size" for toxic type "slicer" \(it takes average_size, size_variation, delay\)/);
    expect(message(() => parseToxic({ type: 'loss', attributes: { correlation: 1 } }, 'udp'))).toMatch(/from 0 to below 1/);
    expect(message(() => parseToxic({ type: 'limit_data', attributes: { bytes: 1.5 } }, 'tcp'))).toMatch(/must be an integer/);
    expect(message(() => parseToxic({ type: 'limit_data' }, 'tcp'))).toMatch(/"bytes" of toxic type "limit_data" is required/);
    expect(message(() => parseToxic({ type: 'delay' }, 'tcp'))).toBe('toxic type "delay" is for udp proxies, not tcp; use "latency"');
    expect(message(() => parseToxic({ type: 'latency', toxicity: 2 }, 'tcp'))).toMatch(/toxicity must be from 0 to 1/);
  });

  it('updates attributes and toxicity, keeping the rest, and refuses to change the type', () => {
    const toxic = parseToxic({ type: 'latency', attributes: { latency: 10, jitter: 5 } }, 'tcp');
    expect(updateToxic(toxic, { attributes: { latency: 20 } }, 'tcp').attributes).toEqual({ latency: 20, jitter: 5 });
    expect(updateToxic(toxic, { toxicity: 0.5 }, 'tcp').toxicity).toBe(0.5);
    expect(message(() => updateToxic(toxic, { type: 'slicer' }, 'tcp'))).toMatch(/type cannot be changed/);
  });

  it('adds several toxics of one type up, and the strictest limit wins', () => {
    const a = parseToxic({ name: 'a', type: 'latency', attributes: { latency: 10, jitter: 1 } }, 'tcp');
    const b = parseToxic({ name: 'b', type: 'latency', attributes: { latency: 30 } }, 'tcp');
    const l1 = parseToxic({ name: 'l1', type: 'limit_data', attributes: { bytes: 100 } }, 'tcp');
    const l2 = parseToxic({ name: 'l2', type: 'limit_data', attributes: { bytes: 50 } }, 'tcp');
    expect(streamOptionsWith({ latencyMs: 5 }, [a, b, l1, l2])).toEqual({ latencyMs: 45, jitterMs: 1, limitDataBytes: 50 });
    const loss = parseToxic({ name: 'x', type: 'loss', attributes: { probability: 0.5 } }, 'udp');
    expect(datagramOptionsWith({ loss: 0.5 }, [loss]).loss).toBe(0.75);
    expect(streamOptionsWith({}, [parseToxic({ type: 'timeout' }, 'tcp')])).toEqual({ stall: 'timeout' });
  });

  it('decides toxicity once per link from the seed, so a replay picks the same links', () => {
    const toxic = parseToxic({ type: 'latency', toxicity: 0.3 }, 'tcp');
    const picked = (seed: number): boolean[] => {
      const board = createToxicBoard();
      board.set([toxic], 0);
      const root = createPrng(seed);
      return Array.from({ length: 2000 }, (_, i) => board.forLink(root.fork(`tcp:${i}`)).applying('down').length === 1);
    };
    const first = picked(4);
    expect(picked(4)).toEqual(first);
    expect(Math.abs(first.filter(Boolean).length / 2000 - 0.3)).toBeLessThan(0.05);
    expect(picked(5)).not.toEqual(first);
  });
});
