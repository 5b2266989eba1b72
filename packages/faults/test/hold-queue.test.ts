import { describe, expect, it } from 'vitest';
import { type HeldUnit, createHoldQueue } from '../src/hold-queue.js';

const unit = (id: number, length: number, log: string[], name = `${id}:${length}`): HeldUnit => ({
  id,
  direction: 'up',
  kind: 'data',
  length,
  deliver: () => log.push(name),
});

describe('createHoldQueue', () => {
  it('passes everything through until hold() is called', () => {
    const log: string[] = [];
    const queue = createHoldQueue();
    expect(queue.offer(unit(1, 3, log), true)).toBe('passed');
    expect(queue.state()).toMatchObject({ holding: false, units: 0 });
  });

  it('holds in order, steps the oldest, and resumes the rest', () => {
    const log: string[] = [];
    const events: string[] = [];
    const queue = createHoldQueue({ onChange: (what, info) => events.push(`${what} ${info.seq}`) });
    queue.hold();
    for (const name of ['a', 'b', 'c']) queue.offer(unit(1, 1, log, name), false);
    expect(log).toEqual([]);
    expect(queue.step(1)).toBe(1);
    expect(log).toEqual(['a']);
    expect(queue.resume()).toBe(2);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['held 0', 'held 1', 'held 2', 'released 0', 'released 1', 'released 2']);
    expect(queue.offer(unit(1, 1, log, 'd'), false)).toBe('passed');
  });

  it('holds exactly maxUnits datagrams and refuses one more', () => {
    const log: string[] = [];
    const queue = createHoldQueue({ maxUnits: 2 });
    queue.hold();
    expect(queue.offer(unit(1, 1, log), true)).toBe('held');
    expect(queue.offer(unit(1, 1, log), true)).toBe('full');
    expect(queue.offer(unit(1, 1, log), true)).toBe('overflow');
    expect(queue.state()).toMatchObject({ units: 2, overflowed: 1 });
  });

  it('holds exactly maxBytes bytes of datagrams and refuses one byte more', () => {
    const log: string[] = [];
    const queue = createHoldQueue({ maxBytes: 10 });
    queue.hold();
    expect(queue.offer(unit(1, 10, log), true)).toBe('full');
    expect(queue.offer(unit(2, 1, log), true)).toBe('overflow');
    expect(queue.state()).toMatchObject({ units: 1, bytes: 10, overflowed: 1 });
  });

  it('keeps a TCP unit past the bound but says full, so the proxy pauses that connection', () => {
    const log: string[] = [];
    const queue = createHoldQueue({ maxUnits: 1 });
    queue.hold();
    expect(queue.offer(unit(1, 1, log), false)).toBe('full');
    expect(queue.offer(unit(1, 1, log), false)).toBe('full');
    expect(queue.state().units).toBe(2);
    expect(queue.bytesOf(1, 'up')).toBe(2);
  });

  it('discards the units of a connection that was reset, keeping the others in order', () => {
    const log: string[] = [];
    const queue = createHoldQueue();
    queue.hold();
    queue.offer(unit(1, 1, log, 'x1'), false);
    queue.offer(unit(2, 1, log, 'y1'), false);
    queue.offer(unit(1, 1, log, 'x2'), false);
    expect(queue.discard(1)).toBe(2);
    queue.resume();
    expect(log).toEqual(['y1']);
    expect(queue.bytesOf(1, 'up')).toBe(0);
  });
});
