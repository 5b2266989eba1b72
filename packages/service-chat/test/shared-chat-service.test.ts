import { type LocalConnection, connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { type MemoryRoomHub, ROOM_UNAVAILABLE_LINE, type SharedChatService, createMemoryRoomHub, createSharedChatService } from '../src/index.js';

type Conn = LocalConnection<string, string>;

/** Two (or more) servers sharing one in-memory room. */
function servers(count: number): { hub: MemoryRoomHub; services: SharedChatService[]; join: (server: number, name: string) => Promise<Conn> } {
  const hub = createMemoryRoomHub();
  const services: SharedChatService[] = [];
  for (let i = 0; i < count; i++) {
    const index = services.length;
    const bus = hub.bus(`s${i}`, (event) => services[index]?.apply(event));
    services.push(createSharedChatService({ bus, floodBurst: 1000, floodRate: 1000 }));
  }
  const join = async (server: number, name: string): Promise<Conn> => {
    const service = services[server];
    if (service === undefined) throw new Error(`no server ${server}`);
    const conn = connectLocal(service, { now: () => 0 });
    await conn.send(name);
    return conn;
  };
  return { hub, services, join };
}

describe('shared chat room', () => {
  it('welcomes a member before its join line and announces it once on every server', async () => {
    const { join } = servers(2);
    const alice = await join(0, 'alice');
    const bob = await join(1, 'bob');
    expect(alice.take()).toEqual(['Welcome, alice!', 'alice has joined the chat.', 'bob has joined the chat.']);
    expect(bob.take()).toEqual(['Welcome, bob!', 'bob has joined the chat.']);
  });

  it('keeps names unique across servers, ignoring case', async () => {
    const { join } = servers(2);
    await join(0, 'Alice');
    const second = await join(1, 'aLiCe');
    expect(second.take()).toEqual(['ERROR name taken']);
    await second.send('alice2');
    expect(second.take()).toEqual(['Welcome, alice2!', 'alice2 has joined the chat.']);
  });

  it('gives every member the same order of lines, whichever server they are on', async () => {
    const { join } = servers(3);
    const a = await join(0, 'a');
    const b = await join(1, 'b');
    const c = await join(2, 'c');
    for (const conn of [a, b, c]) conn.take();
    await Promise.all([a.send('one'), b.send('two'), c.send('three'), a.send('four')]);
    const seen = [a.take(), b.take(), c.take()];
    expect(seen[0]).toHaveLength(4);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
  });

  it('carries /who, /msg and /nick across servers', async () => {
    const { join } = servers(2);
    const alice = await join(0, 'alice');
    const bob = await join(1, 'bob');
    alice.take();
    bob.take();
    await bob.send('/who');
    expect(bob.take()).toEqual(['Members (2): alice, bob']);
    await bob.send('/msg ALICE psst');
    expect(alice.take()).toEqual(['bob (private): psst']);
    expect(bob.take()).toEqual(['bob (private to alice): psst']);
    await bob.send('/msg nobody hi');
    expect(bob.take()).toEqual(['ERROR no such member']);
    await alice.send('/nick bob');
    expect(alice.take()).toEqual(['ERROR name taken']);
    await alice.send('/nick Alicia');
    expect(bob.take()).toEqual(['alice is now known as Alicia.']);
    await alice.send('hello');
    expect(bob.take()).toEqual(['Alicia: hello']);
    await bob.send('/who');
    expect(bob.take()).toEqual(['Members (2): bob, Alicia']);
  });

  it('announces a quit to the leaver and the room, and a dropped connection to the room, once each', async () => {
    const { join, hub } = servers(2);
    const alice = await join(0, 'alice');
    const bob = await join(1, 'bob');
    const carol = await join(1, 'carol');
    for (const conn of [alice, bob, carol]) conn.take();
    await bob.send('quit');
    expect(bob.take()).toEqual(['bob has left the chat.']);
    expect(bob.closed).toBe(true);
    expect(alice.take()).toEqual(['bob has left the chat.']);
    carol.close();
    await Promise.resolve();
    expect(alice.take()).toEqual(['carol has left the chat.']);
    expect(hub.log.filter((e) => e.type === 'leave').map((e) => e.name)).toEqual(['bob', 'carol']);
    const again = await join(0, 'bob');
    expect(again.take()).toEqual(['Welcome, bob!', 'bob has joined the chat.']);
  });

  it('answers a line the room cannot take with ROOM_UNAVAILABLE_LINE and sends nothing', async () => {
    const { join, hub } = servers(2);
    const alice = await join(0, 'alice');
    const bob = await join(1, 'bob');
    alice.take();
    bob.take();
    hub.setAvailable(false);
    await alice.send('lost?');
    expect(alice.take()).toEqual([ROOM_UNAVAILABLE_LINE]);
    expect(bob.take()).toEqual([]);
    hub.setAvailable(true);
    await alice.send('back');
    expect(bob.take()).toEqual(['alice: back']);
  });

  it('drops a member the engine says is gone with a reason, without announcing it itself', async () => {
    const { join, services, hub } = servers(2);
    const alice = await join(0, 'alice');
    alice.take();
    const before = hub.log.length;
    services[0]?.drop(services[0].members()[0]?.sid ?? '', 'name taken while the room was away');
    expect(alice.take()).toEqual(['ERROR dropped from the room (name taken while the room was away)']);
    expect(alice.closed).toBe(true);
    expect(hub.log.length).toBe(before);
    expect(services[0]?.memberCount).toBe(0);
  });

  it('releases a name whose session closed while its claim was in flight', async () => {
    const hub = createMemoryRoomHub();
    const ref: { service?: SharedChatService } = {};
    const bus = hub.bus('s0', (e) => ref.service?.apply(e));
    ref.service = createSharedChatService({ bus });
    const other = connectLocal(createSharedChatService({ bus: hub.bus('s1', () => undefined) }));
    // The claim lands for a session this server no longer has (it closed meanwhile).
    expect(await bus.join('ghost', 'gone-session')).toBe('ok');
    expect(hub.log.map((e) => `${e.type} ${e.name}`)).toEqual(['join ghost', 'leave ghost']);
    // The name is free again: another server's member gets it.
    await other.send('ghost');
    expect(hub.log.at(-1)).toMatchObject({ type: 'join', name: 'ghost', server: 's1' });
  });

  it('counts room full per server', async () => {
    const hub = createMemoryRoomHub();
    const ref: { service?: SharedChatService } = {};
    const service = createSharedChatService({ bus: hub.bus('s0', (e) => ref.service?.apply(e)), maxMembers: 1 });
    ref.service = service;
    await connectLocal(service).send('one');
    const two = connectLocal(service);
    await two.send('two');
    expect(two.take()).toEqual(['ERROR room full']);
  });
});
