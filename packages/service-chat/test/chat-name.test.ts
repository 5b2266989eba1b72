import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, chatNameKey, isValidChatName } from '../src/index.js';

describe('chat names', () => {
  it('accepts 1 to 32 ASCII letters, digits, _ and -', () => {
    expect(isValidChatName('a')).toBe(true);
    expect(isValidChatName('Zed_9-x')).toBe(true);
    expect(isValidChatName('n'.repeat(MAX_NAME_LENGTH))).toBe(true);
    expect(isValidChatName('n'.repeat(MAX_NAME_LENGTH + 1))).toBe(false);
  });

  it('refuses empty names, spaces, punctuation, non-ASCII letters and the reserved word quit', () => {
    for (const name of ['', 'a b', 'a.b', 'аlice', 'ß', 'quit', 'QUIT']) expect(isValidChatName(name)).toBe(false);
  });

  it('compares names ignoring case', () => {
    expect(chatNameKey('Alice')).toBe(chatNameKey('aLICE'));
  });
});
