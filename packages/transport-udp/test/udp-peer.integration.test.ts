import { type Socket, createSocket } from 'node:dgram';
import { createDatagramCodec, createTextCodec } from '@netlab/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { type UdpDatagram, type UdpPeer, connectUdp, createUdpServer } from '../src/index.js';
import { testService, until, within } from './helpers.js';

const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: 100 });
const peers: UdpPeer<string, string>[] = [];
const sockets: Socket[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A raw socket playing the server: records what it gets, answers through `reply`. */
async function fakeServer(port = 0): Promise<{ socket: Socket; port: number; got: string[]; reply(bytes: Uint8Array | string): void }> {
  const socket = createSocket('udp4');
  const got: string[] = [];
  let last: { port: number; address: string } | undefined;
  socket.on('message', (datagram, rinfo) => {
    got.push(datagram.toString('utf8'));
    last = rinfo;
  });
  await new Promise<void>((resolve) => {
    socket.bind(port, '127.0.0.1', resolve);
  });
  sockets.push(socket);
  return {
    socket,
    port: socket.address().port,
    got,
    reply(bytes) {
      if (last !== undefined) socket.send(bytes, last.port, last.address);
    },
  };
}

async function open(port: number, options: { maxQueuedDatagrams?: number; onMalformed?: () => void } = {}): Promise<UdpPeer<string, string>> {
  const peer = await connectUdp({ codec, port, ...options });
  peers.push(peer);
  return peer;
}

async function nextOf(iterator: AsyncIterator<UdpDatagram<string>>): Promise<UdpDatagram<string>> {
  const result = await within(iterator.next(), 3000, 'next datagram');
  if (result.done === true) throw new Error('iteration ended');
  return result.value;
}

describe('connectUdp (a plain datagram peer)', () => {
  it('sends messages and yields what the server answers, with its source, against a real UDP server', async () => {
    const server = createUdpServer({ codec, service: testService() });
    cleanups.push(() => server.close({ graceMs: 0 }));
    const { port } = await server.listen();
    const peer = await open(port);
    peer.send('hello');
    peer.send('count');
    const received: UdpDatagram<string>[] = [];
    for await (const datagram of peer) {
      received.push(datagram);
      if (received.length === 2) break;
    }
    expect(received.map((d) => d.message)).toEqual(['hello', '2']);
    expect(received[0]?.from).toEqual({ host: '127.0.0.1', port, family: 'IPv4' });
    expect(peer.stats()).toMatchObject({ datagramsOut: 2, datagramsIn: 2 });
  });

  it('sends a message of exactly maxDatagramBytes and refuses one byte more with ERR_ENCODE', async () => {
    const fake = await fakeServer();
    const peer = await open(fake.port);
    peer.send('a'.repeat(100));
    expect(() => {
      peer.send('a'.repeat(101));
    }).toThrow(expect.objectContaining({ code: 'ERR_ENCODE' }) as Error);
    await within(until(() => fake.got.length === 1, 2000), 3000);
    expect(fake.got).toEqual(['a'.repeat(100)]);
  });

  it('drops and counts a datagram the codec rejects (one byte over the limit, bad UTF-8), yielding only good ones', async () => {
    const fake = await fakeServer();
    const malformed: string[] = [];
    const peer = await open(fake.port, { onMalformed: () => malformed.push('x') });
    peer.send('hi');
    await within(until(() => fake.got.length === 1, 2000), 3000);
    fake.reply('b'.repeat(101));
    fake.reply(Buffer.from([0xff, 0xfe]));
    fake.reply('b'.repeat(100));
    const iterator = peer[Symbol.asyncIterator]();
    expect((await nextOf(iterator)).message).toBe('b'.repeat(100));
    expect(peer.stats().malformed).toBe(2);
    expect(malformed).toHaveLength(2);
  });

  it('holds exactly maxQueuedDatagrams for the iterator and drops (and counts) the rest', async () => {
    const fake = await fakeServer();
    const peer = await open(fake.port, { maxQueuedDatagrams: 2 });
    peer.send('hi');
    await within(until(() => fake.got.length === 1, 2000), 3000);
    for (const m of ['1', '2', '3']) fake.reply(m);
    await within(until(() => peer.stats().datagramsIn === 3, 2000), 3000);
    const iterator = peer[Symbol.asyncIterator]();
    expect((await nextOf(iterator)).message).toBe('1');
    expect((await nextOf(iterator)).message).toBe('2');
    expect(peer.stats().dropped).toBe(1);
  });

  it('surfaces ICMP port unreachable as ERR_CONNECTION_REFUSED and keeps working once a server is back on the port', async () => {
    const fake = await fakeServer();
    const port = fake.port;
    const peer = await open(port);
    await new Promise<void>((resolve) => {
      fake.socket.close(() => {
        resolve();
      });
    });
    sockets.splice(sockets.indexOf(fake.socket), 1);
    const iterator = peer[Symbol.asyncIterator]();
    const pending = iterator.next();
    peer.send('anyone?');
    await expect(within(pending, 3000, 'refusal')).rejects.toMatchObject({ code: 'ERR_CONNECTION_REFUSED' });
    expect(peer.stats().refused).toBe(1);
    const back = await fakeServer(port);
    peer.send('now?');
    await within(until(() => back.got.length === 1, 2000), 3000);
    back.reply('yes');
    expect((await nextOf(iterator)).message).toBe('yes');
  });

  it('ends iteration on close and refuses to send afterwards', async () => {
    const fake = await fakeServer();
    const peer = await open(fake.port);
    const iterator = peer[Symbol.asyncIterator]();
    const pending = iterator.next();
    await peer.close();
    expect(await within(pending, 3000)).toEqual({ done: true, value: undefined });
    expect(peer.closed).toBe(true);
    expect(() => {
      peer.send('late');
    }).toThrow(expect.objectContaining({ code: 'ERR_CONNECTION_CLOSED' }) as Error);
  });

  it('rejects a bad port as ERR_INVALID_OPTION', async () => {
    await expect(connectUdp({ codec, port: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
