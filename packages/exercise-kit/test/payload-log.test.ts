import { type Service, connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { MAX_LOGGED_PAYLOAD_CHARS, formatPayload, logPayloads } from '../src/payload-log.js';

describe('formatPayload', () => {
  it('quotes text and escapes what would break a log line', () => {
    expect(formatPayload('hello')).toBe('"hello"');
    expect(formatPayload('a\tb\nc "q"')).toBe('"a\\tb\\nc \\"q\\""');
    expect(formatPayload({ kind: 'request', seq: 7n })).toBe('{"kind":"request","seq":"7"}');
    expect(formatPayload(new Uint8Array(3))).toBe('<3 bytes>');
  });

  it('keeps a payload of exactly the limit whole and cuts one unit more', () => {
    const exact = 'x'.repeat(MAX_LOGGED_PAYLOAD_CHARS - 2); // plus the two quotes
    expect(formatPayload(exact)).toBe(`"${exact}"`);
    expect(formatPayload(`${exact}y`)).toBe(`"${exact}y…(1 more)`);
  });

  it('never cuts between the halves of a surrogate pair', () => {
    expect(formatPayload('😀'.repeat(300), 5)).toBe('"😀😀…(597 more)');
    expect(formatPayload('😀'.repeat(300), 4)).toBe('"😀…(599 more)');
  });
});

const echo: Service<string, string> = {
  name: 'echo',
  open: (_peer, ctx) => ({
    receive(line) {
      if (line === 'bye') {
        ctx.close();
        return ['Goodbye'];
      }
      return [line];
    },
  }),
};

describe('logPayloads', () => {
  it('logs each message received and each reply sent, with the peer', async () => {
    const lines: string[] = [];
    const conn = connectLocal(logPayloads(echo, 'echo', (line) => lines.push(line)));
    await conn.send('hello');
    await conn.send('bye');
    expect(lines[0]).toMatch(/^echo: received "hello" from \S+$/);
    expect(lines[1]).toMatch(/^echo: sent "hello" to \S+$/);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^echo: sent "Goodbye" to /);
  });
});
