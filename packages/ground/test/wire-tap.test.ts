import { describe, expect, it } from 'vitest';
import { type WireTap, processWireTap, setProcessWireTap, wireEndpoint } from '../src/index.js';

describe('the wire tap', () => {
  it('keeps one process tap until it is cleared', () => {
    const tap: WireTap = { flow: () => { throw new Error('not used'); }, note: () => undefined };
    expect(processWireTap()).toBeUndefined();
    setProcessWireTap(tap);
    expect(processWireTap()).toBe(tap);
    setProcessWireTap(undefined);
    expect(processWireTap()).toBeUndefined();
  });

  it('names endpoints as a capture shows them: IPv4-mapped IPv6 unwrapped, a missing address replaced', () => {
    expect(wireEndpoint('::ffff:127.0.0.1', 7102)).toEqual({ addr: '127.0.0.1', port: 7102 });
    expect(wireEndpoint('::1', 7102)).toEqual({ addr: '::1', port: 7102 });
    expect(wireEndpoint('::ffff:abcd', 1)).toEqual({ addr: '::ffff:abcd', port: 1 });
    expect(wireEndpoint(undefined, undefined)).toEqual({ addr: '0.0.0.0', port: 0 });
    expect(wireEndpoint('', 5, '::')).toEqual({ addr: '::', port: 5 });
  });
});
