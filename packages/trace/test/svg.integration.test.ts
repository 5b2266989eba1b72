import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { traceToSvg } from '../src/index.js';
import { proxiedLoss } from './golden.js';
import { tempDir } from './tshark.js';

const HAS_RSVG = spawnSync('rsvg-convert', ['--version'], { stdio: 'ignore' }).status === 0;
const WHY = 'rsvg-convert is not installed (apt-get install -y librsvg2-bin): the SVG is not rendered';

describe.skipIf(!HAS_RSVG)(HAS_RSVG ? 'SVG diagrams rendered by rsvg-convert' : `SVG diagrams rendered by rsvg-convert (SKIPPED: ${WHY})`, () => {
  it('renders to a PNG of the size the SVG declares, without a complaint', () => {
    const dir = tempDir();
    try {
      const svg = traceToSvg(proxiedLoss(), { title: 'proxied loss' });
      const input = dir.file('diagram.svg', svg);
      const output = dir.file('diagram.png');
      const result = spawnSync('rsvg-convert', ['-o', output, input], { encoding: 'utf8' });
      expect(result.status).toBe(0);
      expect(result.stderr).toBe('');
      const png = readFileSync(output);
      const [, width, height] = /width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // IHDR: width and height, u32 big-endian, at bytes 16 and 20.
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([Number(width), Number(height)]);
    } finally {
      dir.remove();
    }
  });
});
if (!HAS_RSVG) console.warn(WHY);
