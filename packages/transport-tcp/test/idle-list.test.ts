import { describe, expect, it } from 'vitest';
import { createManualClock } from '@netlab/ground';
import { type IdleEntry, IdleList } from '../src/idle-list.js';

/** A clock that only moves when the test says so (the ground floor's manual clock). */
const manualClock = (): ReturnType<typeof createManualClock> => createManualClock({ start: 1_000_000 });

function entry(name: string, log: string[], onIdle?: (self: IdleEntry, now: number) => void): IdleEntry {
  const self: IdleEntry = {
    idlePrev: undefined,
    idleNext: undefined,
    idleSince: 0,
    onIdle(now) {
      log.push(`${name}@${now - 1_000_000}`);
      onIdle?.(self, now);
    },
  };
  return self;
}

describe('IdleList', () => {
  it('hands an entry over exactly at its deadline, not one millisecond before', () => {
    const clock = manualClock();
    const list = new IdleList(clock, 100);
    const log: string[] = [];
    list.touch(entry('a', log), clock.now());
    clock.advance(99);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['a@100']);
    expect(clock.pending).toBe(0);
  });

  it('restarts the idle period of an entry that is touched, and keeps the others on time', () => {
    const clock = manualClock();
    const list = new IdleList(clock, 100);
    const log: string[] = [];
    const a = entry('a', log);
    list.touch(a, clock.now());
    clock.advance(10);
    list.touch(entry('b', log), clock.now());
    clock.advance(50);
    list.touch(a, clock.now()); // a active at 60: due at 160, after b (110)
    clock.advance(200);
    expect(log).toEqual(['b@110', 'a@160']);
  });

  it('gives an entry that touches itself when due (a busy session) a full new period', () => {
    const clock = manualClock();
    const list = new IdleList(clock, 100);
    const log: string[] = [];
    let busy = true;
    list.touch(
      entry('busy', log, (self, now) => {
        if (busy) list.touch(self, now);
        busy = false;
      }),
      clock.now(),
    );
    clock.advance(30);
    list.touch(entry('next', log), clock.now());
    clock.advance(300);
    expect(log).toEqual(['busy@100', 'next@130', 'busy@200']);
  });

  it('forgets a removed entry and holds no timer once empty', () => {
    const clock = manualClock();
    const list = new IdleList(clock, 100);
    const log: string[] = [];
    const a = entry('a', log);
    const b = entry('b', log);
    list.touch(a, clock.now());
    list.touch(b, clock.now());
    list.remove(a);
    list.remove(a);
    clock.advance(100);
    expect(log).toEqual(['b@100']);
    list.touch(a, clock.now());
    list.remove(a);
    expect(clock.pending).toBe(0);
  });
});
