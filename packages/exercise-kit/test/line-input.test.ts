import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLineInput } from '../src/line-input.js';

async function drain(input: ReturnType<typeof createLineInput>): Promise<string[]> {
  const out: string[] = [];
  for (let line = await input.next(); line !== undefined; line = await input.next()) out.push(line);
  return out;
}

describe('createLineInput (piped)', () => {
  it('yields one line per input line, \\r\\n and a final unterminated line included', async () => {
    const stream = new PassThrough();
    const input = createLineInput({ input: stream, output: new PassThrough(), interactive: false });
    stream.end('one\r\ntwo\n\nlast');
    expect(await drain(input)).toEqual(['one', 'two', '', 'last']);
  });

  it('accepts a line exactly at maxLineBytes and fails with ERR_INPUT one byte over', async () => {
    const ok = new PassThrough();
    const okInput = createLineInput({ input: ok, interactive: false, maxLineBytes: 3 });
    ok.end('abc\n');
    expect(await drain(okInput)).toEqual(['abc']);
    const bad = new PassThrough();
    const badInput = createLineInput({ input: bad, interactive: false, maxLineBytes: 3 });
    bad.end('abcd\n');
    await expect(badInput.next()).rejects.toMatchObject({ code: 'ERR_INPUT' });
  });

  it('resolves a pending next() with undefined when closed', async () => {
    const stream = new PassThrough();
    const input = createLineInput({ input: stream, interactive: false });
    const pending = input.next();
    input.close();
    expect(await pending).toBeUndefined();
  });

  it('prints lines to its output', () => {
    const output = new PassThrough();
    const input = createLineInput({ input: new PassThrough(), output, interactive: false });
    input.print('hello');
    expect(String(output.read())).toBe('hello\n');
    input.close();
  });
});

describe('createLineInput (terminal)', () => {
  const terminal = (): { stream: PassThrough; written: () => string; input: ReturnType<typeof createLineInput> } => {
    const stream = new PassThrough();
    const output = new PassThrough();
    let written = '';
    output.setEncoding('utf8').on('data', (text: string) => (written += text));
    return { stream, written: () => written, input: createLineInput({ input: stream, output, interactive: true }) };
  };

  it('wipes the prompt on Ctrl-D, so the shell prompt starts on a clean line', async () => {
    const { stream, written, input } = terminal();
    const pending = input.next();
    await new Promise((resolve) => setImmediate(resolve));
    stream.write('\x04');
    expect(await pending).toBeUndefined();
    expect(written()).toContain('> ');
    expect(written().endsWith('\r\x1b[K')).toBe(true);
  });

  it('ends a half-typed line on Ctrl-C instead of leaving the cursor after it', async () => {
    const { stream, written, input } = terminal();
    const pending = input.next();
    stream.write('abc');
    await new Promise((resolve) => setImmediate(resolve));
    stream.write('\x03');
    expect(await pending).toBeUndefined();
    expect(written().endsWith('abc\r\n')).toBe(true);
  });
});
