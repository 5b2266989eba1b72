/**
 * Decoding time is linear in the bytes, however they are chunked: N and 4N bytes in tiny chunks,
 * interleaved (N 4N N 4N …, seven slices each), reporting the median and range of time(4N) /
 * time(N) per case. Linear code shows about 4x; quadratic code 16x. The unit suite checks the
 * same property by counting work (`packages/codec/test/linearity.test.ts`); this is where the
 * timing lives, since a loaded shared machine makes timing ratios noise in a test.
 *
 * Run: node --import tsx bench/codec-linearity.bench.ts   (about 20 s)
 */
import { type Decoder, createLengthPrefixedDecoder, createLineDecoder, encodeLengthPrefixed } from '@netlab/codec';
import { table } from './harness.js';

const SLICES = 7;

function timePush(decoder: Decoder<unknown>, wire: Uint8Array, chunkSize: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < wire.length; i += chunkSize) decoder.push(wire.subarray(i, i + chunkSize));
  decoder.end();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function ratios(run: (scale: number) => number): { median: number; min: number; max: number } {
  run(1); // warm up the JIT
  run(4);
  const values: number[] = [];
  for (let i = 0; i < SLICES; i++) {
    const small = run(1);
    const large = run(4);
    values.push(large / Math.max(small, 0.001));
  }
  values.sort((a, b) => a - b);
  return { median: values[Math.floor(values.length / 2)] ?? Number.NaN, min: values[0] ?? Number.NaN, max: values.at(-1) ?? Number.NaN };
}

const MB = 1024 * 1024;
const cases: [string, (scale: number) => number][] = [
  [
    'one long line, 7-byte chunks (1 MiB vs 4 MiB)',
    (scale) => {
      const wire = new Uint8Array(scale * MB + 1).fill(0x61);
      wire[wire.length - 1] = 0x0a;
      return timePush(createLineDecoder({ maxLineBytes: 8 * MB }), wire, 7);
    },
  ],
  [
    'short lines, 1-byte chunks (40k vs 160k lines)',
    (scale) => timePush(createLineDecoder(), new TextEncoder().encode('hello, world\n'.repeat(scale * 40_000)), 1),
  ],
  [
    'one length-prefixed frame, 1-byte chunks (512 KiB vs 2 MiB)',
    (scale) => {
      const wire = encodeLengthPrefixed(new Uint8Array(scale * 512 * 1024), { maxFrameBytes: 4 * MB });
      return timePush(createLengthPrefixedDecoder({ maxFrameBytes: 4 * MB }), wire, 1);
    },
  ],
];

const rows = cases.map(([name, run]) => {
  const r = ratios(run);
  return [name, `${r.median.toFixed(2)}x`, `${r.min.toFixed(2)}–${r.max.toFixed(2)}x`, r.median < 10 ? 'linear (≈4x)' : 'NOT linear'];
});
table(`Decoding time for 4N vs N bytes (median of ${SLICES} interleaved slices; Node ${process.version})`, ['case', 'median', 'range', 'verdict'], rows);
