import { describe, expect, it } from 'vitest';
import { createExactlyOnceChecker, createSimNetwork, createSimulation, replayCommand, simulationSeeds } from '../src/index.js';

describe('simulation', () => {
  it('runs events in time order, ties in scheduling order, and advances virtual time', async () => {
    const sim = createSimulation({ seed: 1 });
    const seen: string[] = [];
    sim.at(20, 'b', () => void seen.push(`b@${sim.now}`));
    sim.at(10, 'a', () => void seen.push(`a@${sim.now}`));
    sim.at(20, 'c', async () => {
      await Promise.resolve();
      seen.push(`c@${sim.now}`);
      sim.after(5, 'd', () => void seen.push(`d@${sim.now}`));
    });
    const result = await sim.run();
    expect(seen).toEqual(['a@10', 'b@20', 'c@20', 'd@25']);
    expect(result).toMatchObject({ events: 4, now: 25, exhausted: false });
  });

  it('stops at maxEvents with exhausted set', async () => {
    const sim = createSimulation({ seed: 1, maxEvents: 3 });
    const tick = (): void => {
      sim.after(1, 'tick', tick);
    };
    tick();
    expect(await sim.run()).toMatchObject({ events: 3, exhausted: true });
  });

  it('accepts exactly maxQueued events and refuses one more', () => {
    const sim = createSimulation({ seed: 1, maxQueued: 2 });
    sim.at(1, 'a', () => undefined);
    sim.at(2, 'b', () => undefined);
    expect(() => {
      sim.at(3, 'c', () => undefined);
    }).toThrow(expect.objectContaining({ code: 'ERR_QUEUE_FULL' }) as Error);
  });

  it('is a Clock on virtual time: timers fire as events, cancelled ones do nothing', async () => {
    const sim = createSimulation({ seed: 1 });
    const fired: number[] = [];
    sim.clock.setTimeout(() => fired.push(sim.clock.now()), 30);
    const cancelled = sim.clock.setTimeout(() => fired.push(-1), 10);
    sim.clock.clearTimeout(cancelled);
    await sim.run();
    expect(fired).toEqual([30]);
  });
});

describe('simulated network', () => {
  const bytes = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
  const number = (b: Uint8Array): number => new Uint32Array(b.slice().buffer)[0] ?? -1;

  async function traffic(seed: number): Promise<{ hash: string; delivered: number; counters: Record<string, number> }> {
    const sim = createSimulation({ seed });
    const net = createSimNetwork({ simulation: sim });
    let delivered = 0;
    const order: number[] = [];
    net.attach('b', (message) => {
      delivered++;
      order.push(number(message));
    });
    // Sent 1 ms apart, as a sender would: copies overtake each other within the 1–40 ms delay spread.
    for (let i = 0; i < 10_000; i++) sim.at(i, 'send', () => {
      net.send('a', 'b', bytes(i));
    });
    const result = await sim.run();
    return { hash: result.traceHash, delivered, counters: { ...net.counters, reordered: order.some((m, i) => i > 0 && m < order[i - 1]!) ? 1 : 0 } };
  }

  it('drops about 30 %, duplicates about 20 % and reorders, by default', async () => {
    const { counters, delivered } = await traffic(7);
    expect(counters.dropped! / counters.sent!).toBeGreaterThan(0.27);
    expect(counters.dropped! / counters.sent!).toBeLessThan(0.33);
    expect(counters.duplicated! / (counters.sent! - counters.dropped!)).toBeGreaterThan(0.17);
    expect(counters.duplicated! / (counters.sent! - counters.dropped!)).toBeLessThan(0.23);
    expect(delivered).toBe(counters.sent! - counters.dropped! + counters.duplicated!);
    expect(counters.reordered).toBe(1);
  });

  it('replays exactly from the same seed', async () => {
    expect((await traffic(11)).hash).toBe((await traffic(11)).hash);
    expect((await traffic(11)).hash).not.toBe((await traffic(12)).hash);
  });

  it('loses what arrives at a node that is down', async () => {
    const sim = createSimulation({ seed: 3 });
    const net = createSimNetwork({ simulation: sim, loss: 0, duplicate: 0 });
    const got: string[] = [];
    const text = (m: Uint8Array): string => new TextDecoder().decode(m);
    net.attach('b', (m) => void got.push(text(m)));
    net.down('b');
    net.send('a', 'b', new TextEncoder().encode('lost'));
    await sim.run();
    net.attach('b', (m) => void got.push(text(m)));
    net.send('a', 'b', new TextEncoder().encode('kept'));
    await sim.run();
    expect(got).toEqual(['kept']);
    expect(net.counters.undeliverable).toBe(1);
  });

  it('refuses a probability above 1 and delays out of order, with typed errors', () => {
    expect(() => createSimNetwork({ simulation: createSimulation({ seed: 1 }), loss: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }) as Error);
    expect(() => createSimNetwork({ simulation: createSimulation({ seed: 1 }), minDelayMs: 10, maxDelayMs: 5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }) as Error);
    expect(() => createSimNetwork({ simulation: createSimulation({ seed: 1 }), impairments: { reorder: 2 } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }) as Error);
  });

  it('schedules the faults netem model: reorder and corrupt impair copies and are counted', async () => {
    const sim = createSimulation({ seed: 5 });
    const net = createSimNetwork({ simulation: sim, loss: 0, duplicate: 0, late: 0, minDelayMs: 5, maxDelayMs: 5, impairments: { reorder: 0.2, corrupt: 0.1 } });
    const got: number[] = [];
    net.attach('b', (m) => void got.push(number(m)));
    for (let i = 0; i < 2000; i++) sim.at(i, 'send', () => {
      net.send('a', 'b', bytes(i));
    });
    await sim.run();
    expect(got).toHaveLength(2000);
    expect(net.counters.reordered).toBeGreaterThan(200);
    expect(net.counters.corrupted).toBeGreaterThan(100);
    expect(got.some((n, i) => i > 0 && n < (got[i - 1] ?? 0))).toBe(true);
  });

  it('holds about 5 % of copies back on the late tail, up to lateDelayMs', async () => {
    const sim = createSimulation({ seed: 8 });
    const net = createSimNetwork({ simulation: sim, loss: 0, duplicate: 0, lateDelayMs: 1000 });
    const delays: number[] = [];
    net.attach('b', (m) => void delays.push(sim.now - number(m)));
    for (let i = 0; i < 4000; i++) sim.at(i, 'send', () => {
      net.send('a', 'b', bytes(i));
    });
    await sim.run();
    expect(net.counters.delayed / 4000).toBeGreaterThan(0.04);
    expect(net.counters.delayed / 4000).toBeLessThan(0.06);
    expect(net.counters.overflowed).toBe(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(40 + 1000);
    expect(delays.filter((d) => d > 40).length).toBeGreaterThan(100);
  });
});

describe('exactly-once checker', () => {
  it('passes a clean history', () => {
    const checker = createExactlyOnceChecker();
    checker.issued('c:1');
    checker.replied('c:1', 'r');
    checker.replied('c:1', 'r');
    checker.acknowledged('c:1');
    checker.issued('c:2');
    checker.failed('c:2');
    const summary = checker.verify(new Map([['c:1', 1]]));
    expect(summary).toMatchObject({ issued: 2, acknowledged: 1, failed: 1, unresolved: 0, replies: 2, violations: [] });
  });

  it('reports each kind of violation', () => {
    const checker = createExactlyOnceChecker();
    for (const id of ['twice', 'lost', 'failed']) checker.issued(id);
    checker.acknowledged('lost');
    checker.failed('failed');
    checker.replied('twice', new Uint8Array([1]));
    checker.replied('twice', new Uint8Array([2]));
    const summary = checker.verify(new Map([['twice', 2], ['failed', 1], ['stranger', 1]]));
    expect(summary.violations.map((v) => `${v.kind}:${v.id}`).sort()).toEqual(
      ['applied-but-failed:failed', 'applied-twice:twice', 'lost-ack:lost', 'reply-changed:twice', 'unknown-id:stranger'].sort(),
    );
  });
});

describe('simulation seeds', () => {
  it('replays one seed from NETLAB_SIM_SEED and prints the command for it', () => {
    expect(simulationSeeds(10, 1, { NETLAB_SIM_SEED: '77' })).toEqual({ seeds: [77], replaying: true });
    expect(simulationSeeds(3, 5, {})).toEqual({ seeds: [5, 6, 7], replaying: false });
    expect(simulationSeeds(3, 1, { NETLAB_SIM_SEEDS: '2' }).seeds).toEqual([1, 2]);
    expect(() => simulationSeeds(3, 1, { NETLAB_SIM_SEED: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }) as Error);
    expect(replayCommand(9, 'a.test.ts')).toBe('NETLAB_SIM_SEED=9 npx vitest run a.test.ts');
  });
});
