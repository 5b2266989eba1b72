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

  it('serialises sends that are not awaited: one receive at a time, replies to each in order', async () => {
    let active = 0;
    let maxActive = 0;
    const slow: Service<string, string> = {
      name: 'slow',
      open: () => ({
        async receive(line) {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await new Promise((resolve) => setImmediate(resolve));
          active -= 1;
          return [`got ${line}`];
        },
      }),
    };
    const conn = connectLocal(slow);
    const replies = await Promise.all(['a', 'b', 'c'].map((line) => conn.send(line)));
    expect(replies).toEqual([['got a'], ['got b'], ['got c']]);
    expect(maxActive).toBe(1);
    expect(conn.sent).toEqual(['got a', 'got b', 'got c']);
  });

  it('rejects the send whose receive throws with the service error, and the sends queued behind it as closed', async () => {
    const failing: Service<string, string> = {
      name: 'failing',
      open: () => ({
        receive(line) {
          if (line === 'bad') throw new TypeError('bad input');
          return [line];
        },
      }),
    };
    const conn = connectLocal(failing);
    const first = conn.send('bad');
    const second = conn.send('after');
    await expect(first).rejects.toThrow(TypeError);
    await expect(second).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSED' });
    expect(conn.closeReason?.kind).toBe('error');
  });

  it('ends from the server side as shutdown', () => {
    const closes: CloseReason[] = [];
    const conn = connectLocal(createCounter(closes));
    conn.shutdown();
    expect(closes).toEqual([{ kind: 'shutdown' }]);
  });
});

