import { describe, expect, it } from 'vitest';
import { DEFAULT_JOKES, KnockKnockError, MAX_JOKES, MAX_JOKE_TEXT_LENGTH, createKnockKnockService, validateJokes } from '../src/index.js';

const joke = { clue: 'Boo', answer: "Don't cry, it's only a joke." };

describe('joke lists', () => {
  it('ships the tutorial jokes in order', () => {
    expect(DEFAULT_JOKES.map((j) => j.clue)).toEqual(['Turnip', 'Little Old Lady', 'Atch', 'Who', 'Who']);
    expect(DEFAULT_JOKES.map((j) => j.answer)).toEqual([
      "Turnip the heat, it's cold in here!",
      "I didn't know you could yodel!",
      'Bless you!',
      'Is there an owl in here?',
      'Is there an echo in here?',
    ]);
    expect(Object.isFrozen(DEFAULT_JOKES)).toBe(true);
  });

  it.each([
    ['not an array', { clue: 'a', answer: 'b' }],
    ['an empty list', []],
    ['a joke that is not an object', ['Boo']],
    ['a missing answer', [{ clue: 'Boo' }]],
    ['an empty clue', [{ clue: '  ', answer: 'b' }]],
    ['a clue with a newline', [{ clue: 'Boo\nwho', answer: 'b' }]],
    ['an answer with a control character', [{ clue: 'Boo', answer: 'b\u0007' }]],
    ['a numeric clue', [{ clue: 7, answer: 'b' }]],
  ])('refuses %s', (_label, value) => {
    expect(() => validateJokes(value)).toThrow(KnockKnockError);
    expect(() => validateJokes(value)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_JOKES' }));
  });

  it('accepts exactly MAX_JOKES jokes and refuses one more', () => {
    expect(validateJokes(Array.from({ length: MAX_JOKES }, () => joke))).toHaveLength(MAX_JOKES);
    expect(() => validateJokes(Array.from({ length: MAX_JOKES + 1 }, () => joke))).toThrow(KnockKnockError);
  });

  it('accepts a clue of exactly MAX_JOKE_TEXT_LENGTH characters and refuses one more', () => {
    expect(validateJokes([{ clue: 'x'.repeat(MAX_JOKE_TEXT_LENGTH), answer: 'a' }])).toHaveLength(1);
    expect(() => validateJokes([{ clue: 'x'.repeat(MAX_JOKE_TEXT_LENGTH + 1), answer: 'a' }])).toThrow(KnockKnockError);
  });

  it('validates a custom list when the service is created', () => {
    expect(() => createKnockKnockService({ jokes: [] })).toThrow(KnockKnockError);
  });
});
