import { describe, expect, it } from 'vitest';
import type { CloseReason, Service } from '../src/contract.js';
import { connectLocal } from '../src/local-connection.js';

function createCounter(closes: CloseReason[]): Service<string, string> {
  return {
    name: 'counter',
    open(peer, ctx) {
      let count = 0;
      ctx.send(`hello ${peer.transport}`);
      return {
        async receive(line) {
          await Promise.resolve();
          if (line === 'stop') {
            ctx.close('asked to stop');
            return ['stopping'];
          }
          count++;
          ctx.log(`got ${line}`);
          return [`${count}: ${line}`, `at ${ctx.now()}`];
        },
        close(reason) {
          closes.push(reason);
        },
      };
    },
  };
}

describe('connectLocal', () => {
  it('delivers pushes from open() and replies in order', async () => {
    const logs: string[] = [];
    const conn = connectLocal(createCounter([]), { now: () => 42, log: (line) => logs.push(line) });
    expect(conn.take()).toEqual(['hello local']);
    expect(await conn.send('a')).toEqual(['1: a', 'at 42']);
    await conn.send('b');
    expect(conn.take()).toEqual(['1: a', 'at 42', '2: b', 'at 42']);
    expect(conn.sent).toHaveLength(5);
    expect(logs).toEqual(['got a', 'got b']);
  });

  it('sends the replies of the receive that closes, then refuses more input', async () => {
    const closes: CloseReason[] = [];
    const conn = connectLocal(createCounter(closes));
    expect(await conn.send('stop')).toEqual(['stopping']);
    expect(conn.sent.at(-1)).toBe('stopping');
    expect(conn.closed).toBe(true);
    expect(closes).toEqual([{ kind: 'local', message: 'asked to stop' }]);
    await expect(conn.send('more')).rejects.toThrow(/closed/);
  });

  it('calls close exactly once when the peer leaves', () => {
    const closes: CloseReason[] = [];
    const conn = connectLocal(createCounter(closes));
    conn.close();
    conn.close();
    expect(closes).toEqual([{ kind: 'remote' }]);
    expect(conn.closeReason).toEqual({ kind: 'remote' });
  });

  it('gives every connection a unique peer id', () => {
    const a = connectLocal(createCounter([]));
    const b = connectLocal(createCounter([]));
    expect(a.peer.id).not.toBe(b.peer.id);
  });
});
