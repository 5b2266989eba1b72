import { describe, expect, it } from 'vitest';
import { checkPrefix, formatHostName, isTestHostsError, parseHostName, resolvePrefix } from '../src/index.js';

describe('test host names', () => {
  it('formats and parses a name back into prefix, pid, run and side', () => {
    const name = formatHostName({ prefix: 'nlh', pid: 4242, run: '9f3a2c' }, 'b');
    expect(name).toBe('nlh-4242-9f3a2c-b');
    expect(parseHostName(name, 'nlh')).toEqual({ prefix: 'nlh', pid: 4242, run: '9f3a2c', side: 'b' });
  });

  it('does not claim names of another prefix or of another shape', () => {
    expect(parseHostName('nlh-4242-9f3a2c-a', 'nlx')).toBeUndefined();
    expect(parseHostName('nlhx-4242-9f3a2c-a', 'nlh')).toBeUndefined();
    expect(parseHostName('nlh-4242-9f3a2c-c', 'nlh')).toBeUndefined();
    expect(parseHostName('nlh-abc-9f3a2c-a', 'nlh')).toBeUndefined();
    expect(parseHostName('ns1', 'nlh')).toBeUndefined();
  });

  it('takes the prefix from the option, then the environment, then nlh', () => {
    expect(resolvePrefix('abc', { NETLAB_TEST_HOSTS_PREFIX: 'xyz' })).toBe('abc');
    expect(resolvePrefix(undefined, { NETLAB_TEST_HOSTS_PREFIX: 'xyz' })).toBe('xyz');
    expect(resolvePrefix(undefined, {})).toBe('nlh');
  });

  it('accepts a prefix of 16 characters and refuses 17, upper case and dashes with ERR_INVALID_OPTION', () => {
    expect(checkPrefix('a'.repeat(16))).toBe('a'.repeat(16));
    for (const bad of ['a'.repeat(17), 'Nlh', 'nl-h', '1nl', '']) {
      let caught: unknown;
      try {
        checkPrefix(bad);
      } catch (error) {
        caught = error;
      }
      expect(isTestHostsError(caught, 'ERR_INVALID_OPTION')).toBe(true);
    }
  });
});
