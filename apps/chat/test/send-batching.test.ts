import { connectLocal } from '@netlab/service';
import { createChatService } from '@netlab/service-chat';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_CHARS, createBatchingService, createLineBatchCodec } from '../src/send-batching.js';

/** A batching room whose turns end when the test says so. */
function room(): { service: ReturnType<typeof createBatchingService>; endTurn: () => void; scheduled: () => number } {
  const flushes: (() => void)[] = [];
  let scheduled = 0;
  const service = createBatchingService({
    service: createChatService({ floodRate: 1000, floodBurst: 1000 }),
    schedule: (flush) => {
      scheduled++;
      flushes.push(flush);
    },
  });
  return {
    service,
    endTurn: () => {
      for (const flush of flushes.splice(0)) flush();
    },
    scheduled: () => scheduled,
  };
}

describe('createBatchingService', () => {
  it('sends every line a member gets during one turn as one batch, once the turn ends', async () => {
    const { service, endTurn, scheduled } = room();
    const alice = connectLocal(service);
    const bob = connectLocal(service);
    expect(await alice.send('alice')).toEqual([]);
    await bob.send('bob');
    await alice.send('hi');
    await bob.send('hello');
    expect(alice.take()).toEqual([]);
    endTurn();
    expect(alice.take()).toEqual([['Welcome, alice!', 'alice has joined the chat.', 'bob has joined the chat.', 'alice: hi', 'bob: hello']]);
    expect(bob.take()).toEqual([['Welcome, bob!', 'bob has joined the chat.', 'alice: hi', 'bob: hello']]);
    expect(scheduled()).toBe(1);
  });

  it('keeps a member\'s replies and the room\'s lines in the service\'s order', async () => {
    const { service, endTurn } = room();
    const alice = connectLocal(service);
    await alice.send('alice');
    await alice.send('/nick');
    await alice.send('one');
    await alice.send('/who');
    endTurn();
    expect(alice.take().flat()).toEqual(['Welcome, alice!', 'alice has joined the chat.', 'ERROR invalid name', 'alice: one', 'Members (1): alice']);
  });

  it('flushes the goodbye before the session closes on quit', async () => {
    const { service, endTurn } = room();
    const alice = connectLocal(service);
    const bob = connectLocal(service);
    await alice.send('alice');
    await bob.send('bob');
    endTurn();
    alice.take();
    bob.take();
    await alice.send('quit');
    expect(alice.closed).toBe(true);
    expect(alice.take()).toEqual([['alice has left the chat.']]);
    endTurn();
    expect(bob.take()).toEqual([['alice has left the chat.']]);
  });

  it('drops the waiting lines of a connection that closed before the turn ended', async () => {
    const { service, endTurn } = room();
    const alice = connectLocal(service);
    const bob = connectLocal(service);
    await alice.send('alice');
    await bob.send('bob');
    bob.close();
    endTurn();
    expect(bob.take()).toEqual([]);
    expect(alice.take().flat()).toEqual(['Welcome, alice!', 'alice has joined the chat.', 'bob has joined the chat.', 'bob has left the chat.']);
  });

  it('sends a batch early once it holds MAX_BATCH_CHARS, so one write never carries a whole flood', async () => {
    const { service, endTurn } = room();
    const alice = connectLocal(service);
    await alice.send('alice');
    endTurn();
    alice.take();
    const text = 'x'.repeat(1000);
    const lines = Math.ceil(MAX_BATCH_CHARS / 1010) + 2;
    for (let i = 0; i < lines; i++) await alice.send(text);
    const early = alice.take();
    expect(early).toHaveLength(1);
    expect(early[0]?.join('\n').length).toBeGreaterThanOrEqual(MAX_BATCH_CHARS - 1);
    expect(early[0]?.join('\n').length).toBeLessThan(MAX_BATCH_CHARS + 1010);
    endTurn();
    expect([...early, ...alice.take()].flat()).toHaveLength(lines);
  });

  it('flushes the waiting lines before answering malformed input', async () => {
    const { service } = room();
    const alice = connectLocal(service);
    await alice.send('alice');
    const error = Object.assign(new Error('line too long'), { code: 'ERR_LINE_TOO_LONG' });
    expect(service.malformed?.(error, alice.peer)).toEqual([['ERROR line too long']]);
    expect(alice.take()).toEqual([['Welcome, alice!', 'alice has joined the chat.']]);
  });
});

describe('createLineBatchCodec', () => {
  const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

  it('encodes a batch as its lines back to back, each ending in LF', () => {
    const codec = createLineBatchCodec();
    expect(text(codec.encode(['a: hi', 'b: grüß']))).toBe('a: hi\nb: grüß\n');
    expect(text(codec.encode(['one']))).toBe('one\n');
    expect(codec.encode([]).length).toBe(0);
  });

  it('accepts a line of exactly maxLineBytes and refuses one byte more, or an embedded LF', () => {
    const codec = createLineBatchCodec({ maxLineBytes: 8 });
    expect(text(codec.encode(['12345678']))).toBe('12345678\n');
    expect(() => codec.encode(['ok', '123456789'])).toThrow();
    expect(() => codec.encode(['two\nlines'])).toThrow();
  });

  it('decodes lines like the line codec (CRLF accepted)', () => {
    const decoder = createLineBatchCodec().createDecoder();
    expect(decoder.push(Buffer.from('alice\r\nhi\npart'))).toEqual(['alice', 'hi']);
    expect(decoder.push(Buffer.from('ial\n'))).toEqual(['partial']);
  });
});
