import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { createKnockKnockService } from '../src/index.js';

describe('knock-knock service', () => {
  it('speaks first with Knock! Knock!', () => {
    const conn = connectLocal(createKnockKnockService());
    expect(conn.take()).toEqual(['Knock! Knock!']);
    expect(conn.closed).toBe(false);
  });

  it('plays the tutorial dialogue through all five jokes and wraps around', async () => {
    const conn = connectLocal(createKnockKnockService());
    conn.take();
    const jokes = [
      ['Turnip', "Turnip the heat, it's cold in here!"],
      ['Little Old Lady', "I didn't know you could yodel!"],
      ['Atch', 'Bless you!'],
      ['Who', 'Is there an owl in here?'],
      ['Who', 'Is there an echo in here?'],
      ['Turnip', "Turnip the heat, it's cold in here!"],
    ];
    for (const [clue, answer] of jokes) {
      expect(await conn.send("Who's there?")).toEqual([clue]);
      expect(await conn.send(`${clue} who?`)).toEqual([`${answer} Want another? (y/n)`]);
      expect(await conn.send('y')).toEqual(['Knock! Knock!']);
    }
    expect(conn.closed).toBe(false);
  });

  it('corrects a wrong answer to Knock! Knock! and stays on the same step', async () => {
    const conn = connectLocal(createKnockKnockService());
    expect(await conn.send('Hello?')).toEqual(['You\'re supposed to say "Who\'s there?"! Try again. Knock! Knock!']);
    expect(await conn.send("Who's there?")).toEqual(['Turnip']);
  });

  it('corrects a wrong answer to the clue and starts the same joke again', async () => {
    const conn = connectLocal(createKnockKnockService());
    await conn.send("Who's there?");
    expect(await conn.send('Potato who?')).toEqual(['You\'re supposed to say "Turnip who?"! Try again. Knock! Knock!']);
    expect(await conn.send("Who's there?")).toEqual(['Turnip']);
    expect(await conn.send('Turnip who?')).toEqual(["Turnip the heat, it's cold in here! Want another? (y/n)"]);
  });

  it('says Bye. and closes on anything but y', async () => {
    const conn = connectLocal(createKnockKnockService());
    await conn.send("Who's there?");
    await conn.send('Turnip who?');
    await conn.send('n');
    expect(conn.sent.at(-1)).toBe('Bye.');
    expect(conn.closed).toBe(true);
    expect(conn.closeReason?.kind).toBe('local');
  });

  it('accepts Y in upper case, any case of the questions, curly apostrophes and surrounding spaces', async () => {
    const conn = connectLocal(createKnockKnockService());
    expect(await conn.send('  WHO’S THERE?  ')).toEqual(['Turnip']);
    expect(await conn.send('turnip WHO?')).toEqual(["Turnip the heat, it's cold in here! Want another? (y/n)"]);
    expect(await conn.send(' Y ')).toEqual(['Knock! Knock!']);
    expect(await conn.send('who‘s there?')).toEqual(['Little Old Lady']);
  });

  it('does not accept answers that are merely close', async () => {
    const conn = connectLocal(createKnockKnockService());
    expect(await conn.send("Who's there")).toEqual(['You\'re supposed to say "Who\'s there?"! Try again. Knock! Knock!']);
    expect(await conn.send('Whos there?')).toEqual(['You\'re supposed to say "Who\'s there?"! Try again. Knock! Knock!']);
    await conn.send("Who's there?");
    await conn.send('Turnip who?');
    expect(await conn.send('yes')).toEqual([]);
    expect(conn.sent.at(-1)).toBe('Bye.');
  });

  it('tells a custom joke list', async () => {
    const conn = connectLocal(createKnockKnockService({ jokes: [{ clue: 'Lettuce', answer: "Lettuce in, it's cold!" }] }));
    await conn.send("Who's there?");
    expect(await conn.send('lettuce who?')).toEqual(["Lettuce in, it's cold! Want another? (y/n)"]);
    await conn.send('y');
    expect(await conn.send("Who's there?")).toEqual(['Lettuce']);
  });

  it('keeps each connection at its own joke', async () => {
    const service = createKnockKnockService();
    const a = connectLocal(service);
    const b = connectLocal(service);
    await a.send("Who's there?");
    await a.send('Turnip who?');
    await a.send('y');
    expect(await a.send("Who's there?")).toEqual(['Little Old Lady']);
    expect(await b.send("Who's there?")).toEqual(['Turnip']);
  });

  it('answers a line the codec rejected', () => {
    const peer = { transport: 'local', address: 'x', port: 0, id: 'x' } as const;
    const error = Object.assign(new Error('x'), { code: 'ERR_INVALID_UTF8' });
    expect(createKnockKnockService().malformed?.(error, peer)).toEqual(['ERROR invalid UTF-8']);
  });
});
