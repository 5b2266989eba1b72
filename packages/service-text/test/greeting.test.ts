import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GREETING, TextServiceError, createGreetingService } from '../src/index.js';

describe('greeting service', () => {
  it('sends "Thank you for connecting" on connect and then closes', () => {
    const conn = connectLocal(createGreetingService());
    expect(conn.sent).toEqual(['Thank you for connecting']);
    expect(DEFAULT_GREETING).toBe('Thank you for connecting');
    expect(conn.closed).toBe(true);
    expect(conn.closeReason?.kind).toBe('local');
  });

  it('sends a custom greeting', () => {
    const conn = connectLocal(createGreetingService({ greeting: 'hi' }));
    expect(conn.sent).toEqual(['hi']);
  });

  it('refuses a greeting that contains a line terminator', () => {
    expect(() => createGreetingService({ greeting: 'a\nb' })).toThrow(TextServiceError);
  });

  it('answers malformed input with a clear error line', () => {
    const service = createGreetingService();
    const peer = { transport: 'local', address: 'x', port: 0, id: 'x' } as const;
    expect(service.malformed?.(Object.assign(new Error('x'), { code: 'ERR_LINE_TOO_LONG' }), peer)).toEqual(['ERROR line too long']);
  });
});
