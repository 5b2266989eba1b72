import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatTerminal, createChatTerminal } from '../src/chat-terminal.js';
import { type VirtualScreen, createVirtualScreen } from './virtual-screen.js';

let terminal: ChatTerminal | undefined;
afterEach(() => {
  terminal?.close();
  terminal = undefined;
});

function setup(options: { maxLineBytes?: number; columns?: number } = {}): { input: PassThrough; screen: VirtualScreen } {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), options.columns === undefined ? {} : { columns: options.columns });
  const screen = createVirtualScreen(options.columns);
  output.setEncoding('utf8').on('data', (text: string) => {
    screen.write(text);
  });
  terminal = createChatTerminal({ input, output, prompt: 'alice> ', ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }) });
  return { input, screen };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createChatTerminal', () => {
  it('prints an incoming message above the prompt and redraws the half-typed line intact', async () => {
    const { input, screen } = setup();
    input.write('hel');
    await tick();
    terminal?.print('bob: hi alice');
    await tick();
    expect(screen.rows()).toEqual(['bob: hi alice', 'alice> hel']);
    expect(screen.cursor).toEqual({ row: 1, col: 10 });
    input.write('lo\r');
    expect(await terminal?.next()).toBe('hello');
  });

  it('keeps the cursor where it was inside the typed text', async () => {
    const { input, screen } = setup();
    input.write('abcd');
    await tick();
    input.write('\x1b[D'); // two steps left
    await tick();
    input.write('\x1b[D');
    await tick();
    terminal?.print('carol has joined the chat.');
    await tick();
    expect(screen.rows()).toEqual(['carol has joined the chat.', 'alice> abcd']);
    expect(screen.cursor).toEqual({ row: 1, col: 9 });
    input.write('X'); // keys one at a time, as a terminal sends them
    await tick();
    input.write('\r');
    expect(await terminal?.next()).toBe('abXcd');
  });

  it('redraws an input line that wraps over several rows without eating the messages above', async () => {
    const { input, screen } = setup({ columns: 10 });
    terminal?.print('first');
    input.write('0123456789abcdef'); // "alice> " + 16 characters: three rows of 10 columns
    await tick();
    terminal?.print('second');
    await tick();
    expect(screen.rows()).toEqual(['first', 'second', 'alice> 012', '3456789abc', 'def']);
  });

  it('erases a submitted line, since the room sends it back in its place', async () => {
    const { input, screen } = setup();
    terminal?.print('bob: hello');
    input.write('hi all\r');
    expect(await terminal?.next()).toBe('hi all');
    await tick();
    expect(screen.rows()).toEqual(['bob: hello', 'alice>']);
    terminal?.print('alice: hi all');
    await tick();
    expect(screen.rows()).toEqual(['bob: hello', 'alice: hi all', 'alice>']);
  });

  it('refuses a line over maxLineBytes locally and accepts one exactly at it', async () => {
    const { input, screen } = setup({ maxLineBytes: 4 });
    input.write('12345\r');
    await tick();
    expect(screen.rows()).toContain('(not sent: longer than 4 bytes)');
    input.write('1234\r');
    expect(await terminal?.next()).toBe('1234');
  });

  it('changes the prompt after a rename and ends on Ctrl-C', async () => {
    const { input, screen } = setup();
    input.write('typing');
    await tick();
    terminal?.setPrompt('alicia> ');
    await tick();
    expect(screen.rows()).toEqual(['alicia> typing']);
    input.write('\x03');
    expect(await terminal?.next()).toBeUndefined();
  });

  it('leaves a clean line on Ctrl-C, so the last messages do not run into the prompt', async () => {
    const { input, screen } = setup();
    await tick();
    input.write('\x03');
    expect(await terminal?.next()).toBeUndefined();
    terminal?.print('alice has left the chat.');
    await tick();
    expect(screen.rows()).toEqual(['alice has left the chat.']);
  });

  it('keeps a half-typed line and ends it when the input is closed under it (lost server)', async () => {
    const { input, screen } = setup();
    input.write('typing something');
    await tick();
    terminal?.close();
    terminal?.print('error: lost the connection');
    await tick();
    expect(screen.rows()).toEqual(['alice> typing something', 'error: lost the connection']);
  });

  it('erases the empty prompt when the client leaves (/quit)', async () => {
    const { input, screen } = setup();
    input.write('/quit\r');
    expect(await terminal?.next()).toBe('/quit');
    terminal?.close();
    await tick();
    expect(screen.rows().filter((row) => row !== '')).toEqual([]);
  });
});
