import { describe, expect, it } from 'vitest';
import { createLineSplitter } from '../src/live-attach.js';

function split(max: number, chunks: readonly string[]): { lines: string[]; skipped: number } {
  const lines: string[] = [];
  let skipped = 0;
  const push = createLineSplitter(
    max,
    (line) => lines.push(line),
    () => {
      skipped += 1;
    },
  );
  for (const chunk of chunks) push(chunk);
  return { lines, skipped };
}

describe('the event-stream line splitter of attach mode', () => {
  it('joins a line split across chunks and drops the carriage return', () => {
    expect(split(100, ['data: {"a"', ':1}\r\n', '\nid: 2\n'])).toEqual({ lines: ['data: {"a":1}', '', 'id: 2'], skipped: 0 });
  });

  it('passes a line exactly at the limit and skips one a byte over', () => {
    expect(split(8, ['12345678\n'])).toEqual({ lines: ['12345678'], skipped: 0 });
    expect(split(8, ['123456789\n', 'next\n'])).toEqual({ lines: ['next'], skipped: 1 });
  });

  it('skips an over-long line whole even when it arrives in many chunks, keeping nothing of it', () => {
    expect(split(8, ['12345', '6789', 'abcdef', 'gh\nok\n'])).toEqual({ lines: ['ok'], skipped: 1 });
  });
});
