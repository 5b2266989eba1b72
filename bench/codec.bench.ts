/**
 * @netlab/codec against its peers, on the same bytes in the same run:
 * - line decoding vs Node's readline and split2 (goal: ≥ 2x split2);
 * - length-prefixed decoding vs it-length-prefixed (goal: ≥ 4x), on varint prefixes (its
 *   format) and, for reference, our u32 prefixes.
 * Each also runs the wave-1 decoder (bench/baseline/wave1-codec.ts, main before the issue-16 codec
 * work) in the same interleaved slices, so before and after come from one run.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createLengthPrefixedDecoder, createLineDecoder, encodeLengthPrefixed } from '@netlab/codec';
import * as lp from 'it-length-prefixed';
import split2 from 'split2';
import { createWave1LengthPrefixedDecoder, createWave1LineDecoder } from './baseline/wave1-codec.js';
import { type Sample, figure, fmt, measureInterleaved, perSecond, speedup, table, verdictSpread } from './harness.js';

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

// --- lines -------------------------------------------------------------------------------
const LINES = 400_000;
const text = Array.from({ length: LINES }, (_, i) => (i % 10 === 0 ? `grüße ${i} — ünïcödé line` : `GET /resource/${i} HTTP/1.1 ok`)).join('\n') + '\n';
const lineBytes = Buffer.from(text, 'utf8');
const MB = lineBytes.length / (1024 * 1024);

async function lineBench(chunkSize: number): Promise<string[][]> {
  const chunks = chunked(lineBytes, chunkSize).map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  const { ours, wave1, splitter, rl } = await measureInterleaved({
    ours: () => {
      const decoder = createLineDecoder();
      let n = 0;
      for (const chunk of chunks) n += decoder.push(chunk).length;
      n += decoder.end().length;
      if (n !== LINES) throw new Error(`netlab decoded ${n} lines`);
    },
    wave1: () => {
      const decoder = createWave1LineDecoder();
      let n = 0;
      for (const chunk of chunks) n += decoder.push(chunk).length;
      n += decoder.end().length;
      if (n !== LINES) throw new Error(`wave-1 decoded ${n} lines`);
    },
    splitter: async () => {
      const stream = split2();
      let n = 0;
      stream.on('data', () => n++);
      for (const chunk of chunks) stream.write(chunk);
      stream.end();
      await once(stream, 'end');
      if (n !== LINES) throw new Error(`split2 decoded ${n} lines`);
    },
    rl: async () => {
      const lines = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
      let n = 0;
      lines.on('line', () => n++);
      await once(lines, 'close');
      if (n !== LINES) throw new Error(`readline decoded ${n} lines`);
    },
  });
  const vsSplit2 = speedup(ours, splitter);
  const wave1VsSplit2 = speedup(wave1, splitter);
  figure(`line decoding, ${chunkSize} B chunks, netlab/split2`, vsSplit2, 'ratio', '>= 2');
  figure(`line decoding, ${chunkSize} B chunks, wave-1 decoder/split2`, wave1VsSplit2, 'ratio');
  figure(`line decoding, ${chunkSize} B chunks, netlab/wave-1 decoder`, speedup(ours, wave1), 'ratio');
  figure(`line decoding, ${chunkSize} B chunks, netlab`, perSecond(LINES, ours.ms), 'lines/s');
  const row = (name: string, ms: number, vs: string): string[] => [
    `${name} (${chunkSize} B chunks)`,
    fmt(perSecond(LINES, ms)),
    (MB / (ms / 1000)).toFixed(1),
    vs,
  ];
  return [
    row('@netlab/codec', ours.ms, verdictSpread(vsSplit2, 2)),
    row('wave-1 decoder (before)', wave1.ms, verdictSpread(wave1VsSplit2, 2)),
    row('split2', splitter.ms, '1.00x'),
    row('readline', rl.ms, `${(splitter.ms / rl.ms).toFixed(2)}x`),
  ];
}

// --- length-prefixed ------------------------------------------------------------------------
const FRAMES = 200_000;
const payload = new Uint8Array(100).fill(7);

async function lpBench(prefix: 'varint' | 'u32', chunkSize: number): Promise<string[][]> {
  const options = { maxFrameBytes: 4096, prefix };
  const wire = Buffer.concat(Array.from({ length: FRAMES }, () => encodeLengthPrefixed(payload, options)));
  const chunks = chunked(wire, chunkSize);
  const decodeOurs = (): void => {
    const decoder = createLengthPrefixedDecoder(options);
    let n = 0;
    for (const chunk of chunks) n += decoder.push(chunk).length;
    decoder.end();
    if (n !== FRAMES) throw new Error(`netlab decoded ${n} frames`);
  };
  const decodeWave1 = (): void => {
    const decoder = createWave1LengthPrefixedDecoder(options);
    let n = 0;
    for (const chunk of chunks) n += decoder.push(chunk).length;
    decoder.end();
    if (n !== FRAMES) throw new Error(`wave-1 decoded ${n} frames`);
  };
  const decodeSync = (): void => {
    let n = 0;
    for (const _frame of lp.decode(chunks, { maxDataLength: 4096 })) n++;
    if (n !== FRAMES) throw new Error(`it-length-prefixed decoded ${n} frames`);
  };
  const decodeAsync = async (): Promise<void> => {
    let n = 0;
    for await (const _frame of lp.decode(Readable.from(chunks), { maxDataLength: 4096 })) n++;
    if (n !== FRAMES) throw new Error(`it-length-prefixed decoded ${n} frames`);
  };
  const samples = prefix === 'varint'
    ? await measureInterleaved({ ours: decodeOurs, wave1: decodeWave1, peerSync: decodeSync, peerAsync: decodeAsync })
    : await measureInterleaved({ ours: decodeOurs, wave1: decodeWave1 });
  const ours = samples.ours;
  const wave1 = samples.wave1;
  const vsWave1 = speedup(ours, wave1);
  figure(`${prefix} length-prefixed decoding, ${chunkSize} B chunks, netlab/wave-1 decoder`, vsWave1, 'ratio');
  const rows: string[][] = [
    [`@netlab/codec ${prefix} (${chunkSize} B chunks)`, fmt(perSecond(FRAMES, ours.ms)), ''],
    [`wave-1 decoder ${prefix} (before)`, fmt(perSecond(FRAMES, wave1.ms)), `after/before: ${vsWave1.median.toFixed(2)}x (${vsWave1.min.toFixed(2)}–${vsWave1.max.toFixed(2)})`],
  ];
  if (prefix === 'varint') {
    const { peerSync, peerAsync } = samples as Record<'ours' | 'wave1' | 'peerSync' | 'peerAsync', Sample>;
    const vsSync = speedup(ours, peerSync);
    const wave1VsSync = speedup(wave1, peerSync);
    figure(`varint length-prefixed decoding, ${chunkSize} B chunks, netlab/it-length-prefixed`, vsSync, 'ratio', '>= 4');
    figure(`varint length-prefixed decoding, ${chunkSize} B chunks, wave-1 decoder/it-length-prefixed`, wave1VsSync, 'ratio');
    rows[0]![2] = `${verdictSpread(vsSync, 4)} vs sync it; ${(peerAsync.ms / ours.ms).toFixed(1)}x vs async it`;
    rows[1]![2] = `${verdictSpread(wave1VsSync, 4)} vs sync it`;
    rows.push([`it-length-prefixed, sync source`, fmt(perSecond(FRAMES, peerSync.ms)), '1.00x']);
    rows.push([`it-length-prefixed, async stream`, fmt(perSecond(FRAMES, peerAsync.ms)), '']);
  }
  return rows;
}

console.log(`codec benchmarks — node ${process.version}, ${LINES} lines (${MB.toFixed(1)} MB), ${FRAMES} frames of ${payload.length} B`);
table('line decoding', ['decoder', 'lines/s', 'MB/s', 'ratio vs split2'], [...(await lineBench(65_536)), ...(await lineBench(1024))]);
table('length-prefixed decoding', ['decoder', 'frames/s', 'ratio vs it-length-prefixed'], [
  ...(await lpBench('varint', 65_536)),
  ...(await lpBench('varint', 1024)),
  ...(await lpBench('u32', 65_536)),
]);
