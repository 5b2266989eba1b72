import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { createManualClock } from '../src/manual-clock.js';

describe('systemClock', () => {
  it('reads the Unix epoch in ms and fires an unref’d timer', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    const fired = await new Promise<boolean>((resolve) => {
      systemClock.setTimeout(() => {
        resolve(true);
      }, 1);
    });
    expect(fired).toBe(true);
    systemClock.clearTimeout(undefined); // ignored
  });
});

describe('createManualClock', () => {
  it('fires timers in due order during advance, each seeing its own due time', () => {
    const clock = createManualClock({ start: 1000 });
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    clock.advance(15);
    expect(seen).toEqual(['a@1010']);
    expect(clock.now()).toBe(1015);
    clock.advance(5);
    expect(seen).toEqual(['a@1010', 'b@1020', 'c@1020']);
  });

  it('fires within the same advance a timer that a firing timer schedules', () => {
    const clock = createManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(seen).toEqual([5, 10]);
    expect(clock.pending).toBe(0);
  });

  it('cancels a timer', () => {
    const clock = createManualClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 1);
    clock.clearTimeout(handle);
    clock.advance(5);
    expect(fired).toBe(false);
  });

  it('holds exactly maxTimers timers and refuses one more', () => {
    const clock = createManualClock({ maxTimers: 2 });
    clock.setTimeout(() => undefined, 1);
    clock.setTimeout(() => undefined, 1);
    expect(() => clock.setTimeout(() => undefined, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }) as Error);
  });
});
