import { describe, expect, it } from 'vitest';
import { NAME_STYLES, type Paint, colorChatLine, nameStyle } from '../src/name-colors.js';

/** Marks painted text as <style>text</> so tests read what got which colour. */
const mark: Paint = (style, text) => `<${String(style)}>${text}</>`;
const plain: Paint = (_style, text) => text;

describe('nameStyle', () => {
  it('gives a name the same colour every time, ignoring case as the room does', () => {
    expect(nameStyle('alice')).toBe(nameStyle('ALICE'));
    expect(NAME_STYLES).toContain(nameStyle('bob'));
  });

  it('spreads names over the palette', () => {
    const styles = new Set(Array.from({ length: 50 }, (_, i) => nameStyle(`user${i}`)));
    expect(styles.size).toBeGreaterThanOrEqual(6);
  });
});

describe('colorChatLine', () => {
  it('colours the names of every room line shape', () => {
    const a = String(nameStyle('alice'));
    const b = String(nameStyle('bob'));
    expect(colorChatLine('alice: hi: there', mark)).toBe(`<${a}>alice</>: hi: there`);
    expect(colorChatLine('bob has joined the chat.', mark)).toBe(`<${b}>bob</> <dim>has joined the chat.</>`);
    expect(colorChatLine('alice is now known as bob.', mark)).toBe(`<${a}>alice</> <dim>is now known as</> <${b}>bob</>.`);
    expect(colorChatLine('bob (private): psst', mark)).toBe(`<${b}>bob</> <dim>(private):</> psst`);
    expect(colorChatLine('alice (private to bob): psst', mark)).toBe(`<${a}>alice</> <dim>(private to</> <${b}>bob</><dim>):</> psst`);
    expect(colorChatLine('Members (2): alice, bob', mark)).toBe(`Members (2): <${a}>alice</>, <${b}>bob</>`);
    expect(colorChatLine('Welcome, alice!', mark)).toBe(`Welcome, <${a}>alice</>!`);
    expect(colorChatLine('ERROR name taken', mark)).toBe('<red>ERROR name taken</>');
  });

  it('leaves other lines, and every line when colour is off, exactly as received', () => {
    expect(colorChatLine('Commands:', mark)).toBe('Commands:');
    for (const line of ['alice: hi', 'alice (private to bob): x', 'Members (1): alice', 'ERROR flood limit, slow down']) {
      expect(colorChatLine(line, plain)).toBe(line);
    }
  });
});
