import { describe, expect, it } from 'vitest';
import { malformedReply } from '../src/malformed-reply.js';

describe('malformedReply', () => {
  it('words each codec error code as one ERROR line', () => {
    expect(malformedReply({ code: 'ERR_LINE_TOO_LONG' })).toBe('ERROR line too long');
    expect(malformedReply({ code: 'ERR_INVALID_UTF8' })).toBe('ERROR invalid UTF-8');
    expect(malformedReply({ code: 'ERR_DATAGRAM_TOO_LARGE' })).toBe('ERROR datagram too large');
    expect(malformedReply({ code: 'ERR_SCHEMA' })).toBe('ERROR malformed input');
    expect(malformedReply({})).toBe('ERROR malformed input');
  });
});
