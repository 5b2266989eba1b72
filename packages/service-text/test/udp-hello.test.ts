import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { createUdpHelloService } from '../src/index.js';

const peer = { transport: 'udp', address: '127.0.0.1', port: 5000, id: 'udp:1' } as const;

describe('udp-hello service', () => {
  it('answers any message with Ok', async () => {
    const conn = connectLocal(createUdpHelloService());
    expect(await conn.send("I could tell you a UDP joke but I'm not sure you'll get it.")).toEqual(['Ok']);
    expect(await conn.send('')).toEqual(['Ok']);
    expect(conn.closed).toBe(false);
  });

  it('acknowledges even a datagram the codec rejected', () => {
    const error = Object.assign(new Error('bad'), { code: 'ERR_INVALID_UTF8' });
    expect(createUdpHelloService().malformed?.(error, peer)).toEqual(['Ok']);
  });

  it('sends a custom reply', async () => {
    const conn = connectLocal(createUdpHelloService({ reply: 'Got it' }));
    expect(await conn.send('x')).toEqual(['Got it']);
  });
});
