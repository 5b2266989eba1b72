import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readInputLines } from '../src/input.js';

async function collect(chunks: (string | Buffer)[], maxLineBytes?: number): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readInputLines(Readable.from(chunks), maxLineBytes === undefined ? {} : { maxLineBytes })) lines.push(line);
  return lines;
}

describe('readInputLines', () => {
  it('yields lines across chunks, CRLF included, and a final unterminated line', async () => {
    expect(await collect(['a\r\nb', 'c\n', 'last'])).toEqual(['a', 'bc', 'last']);
  });

  it('keeps a character split across chunks whole', async () => {
    const bytes = Buffer.from('€\n');
    expect(await collect([bytes.subarray(0, 1), bytes.subarray(1)])).toEqual(['€']);
  });

  it('ends with ERR_INPUT on an over-long line, after the lines before it', async () => {
    const lines: string[] = [];
    await expect(async () => {
      for await (const line of readInputLines(Readable.from(['ok\n', 'x'.repeat(20) + '\n']), { maxLineBytes: 10 })) lines.push(line);
    }).rejects.toMatchObject({ code: 'ERR_INPUT' });
    expect(lines).toEqual(['ok']);
  });

  it('ends with ERR_INPUT on invalid UTF-8', async () => {
    await expect(collect([Buffer.from([0x61, 0xff, 0x0a])])).rejects.toMatchObject({ code: 'ERR_INPUT' });
  });
});
