import { describe, expect, it } from 'vitest';
import { formatHostPort } from '../src/host-port.js';
import { checkInteger } from '../src/range-check.js';
import { describeSocketError } from '../src/socket-errors.js';
import { isPromiseLike } from '../src/promise.js';

const systemError = (code: string): Error => Object.assign(new Error(`${code} happened`), { code });

describe('describeSocketError', () => {
  it('maps each errno netlab names to one shared code, words it per transport, and names the address', () => {
    expect(describeSocketError(systemError('ECONNREFUSED'), '127.0.0.1', 5000, 'tcp')).toMatchObject({
      code: 'ERR_CONNECTION_REFUSED',
      message: 'no server at 127.0.0.1:5000 (connection refused)',
      details: { host: '127.0.0.1', port: 5000, errno: 'ECONNREFUSED' },
    });
    expect(describeSocketError(systemError('ECONNREFUSED'), '::1', 5000, 'udp').message).toBe('no server at udp [::1]:5000 (port unreachable)');
    expect(describeSocketError(systemError('EADDRINUSE'), '127.0.0.1', 80, 'udp')).toMatchObject({ code: 'ERR_LISTEN', message: 'cannot listen on udp 127.0.0.1:80: address in use' });
    expect(describeSocketError(systemError('EACCES'), '127.0.0.1', 80, 'tcp').code).toBe('ERR_LISTEN');
    expect(describeSocketError(systemError('EPIPE'), 'h', 1, 'tcp').code).toBe('ERR_CONNECTION_RESET');
    expect(describeSocketError(systemError('ENETUNREACH'), 'h', 1, 'tcp').code).toBe('ERR_HOST_UNREACHABLE');
    expect(describeSocketError(systemError('EAI_AGAIN'), 'nowhere', 1, 'tcp').message).toBe('cannot resolve host nowhere');
    expect(describeSocketError(systemError('EWHATEVER'), 'h', 1, 'tcp')).toMatchObject({ code: 'ERR_SOCKET', message: 'socket error on h:1: EWHATEVER happened' });
    expect(describeSocketError('not an error', 'h', 1, 'tcp').code).toBe('ERR_SOCKET');
  });
});

describe('ground helpers', () => {
  it('formats IPv4 and bracketed IPv6 host:port', () => {
    expect(formatHostPort('127.0.0.1', 7)).toBe('127.0.0.1:7');
    expect(formatHostPort('::1', 7)).toBe('[::1]:7');
  });

  it('accepts an integer at either end of the range and describes one outside it', () => {
    expect(checkInteger('port', 0, 0, 65_535)).toBeUndefined();
    expect(checkInteger('port', 65_535, 0, 65_535)).toBeUndefined();
    expect(checkInteger('port', 65_536, 0, 65_535)).toEqual({
      message: 'port must be an integer from 0 to 65535, got 65536',
      details: { option: 'port', value: 65_536, min: 0, max: 65_535 },
    });
    expect(checkInteger('port', 1.5, 0, 65_535)?.message).toMatch(/got 1.5$/);
  });

  it('tells promises and thenables from plain values', () => {
    expect(isPromiseLike(Promise.resolve(1))).toBe(true);
    expect(isPromiseLike({ then: () => undefined })).toBe(true);
    expect(isPromiseLike([1])).toBe(false);
    expect(isPromiseLike(null)).toBe(false);
  });
});
