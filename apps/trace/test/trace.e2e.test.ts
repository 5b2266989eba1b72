import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTs } from '@netlab/exercise-kit/testing';
import { createTraceWriter, createTracer } from '@netlab/trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const NETLAB = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };
const HAS_TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-trace-app-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A small udp-datetime trace as a client records it: one request lost and sent again. */
function traceText(): string {
  let text = '';
  let t = 1_733_068_800_000;
  const writer = createTraceWriter({ write: (line: string) => { text += line; return true; } });
  const tracer = createTracer(writer, { role: 'client', label: 'udp-datetime', now: () => (t += 3) });
  const flow = tracer.flow({ transport: 'udp', local: { addr: '127.0.0.1', port: 40000 }, remote: { addr: '127.0.0.1', port: 7107 }, initiator: 'local' });
  flow.data('out', Buffer.from('SEND_DATE'));
  flow.data('in', Buffer.from('2024-03-10'));
  flow.data('out', Buffer.from('SEND_TIME'));
  flow.data('out', Buffer.from('SEND_TIME'));
  flow.data('in', Buffer.from('06:59:58'));
  return text;
}

function traceFile(text = traceText()): string {
  const file = join(dir, 'run.jsonl');
  writeFileSync(file, text);
  return file;
}

const oneErrorLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? '';
};

describe('netlab trace (real process)', () => {
  it('writes a pcapng that tshark reads', TIMEOUT, async () => {
    const output = join(dir, 'run.pcapng');
    const result = await runTs(MAIN, ['pcap', traceFile(), '-o', output]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`wrote ${output}: 5 records\n`);
    expect(readFileSync(output).subarray(0, 4).toString('hex')).toBe('0a0d0d0a');
    if (!HAS_TSHARK) {
      console.warn('tshark is not installed: the pcapng was not read back');
      return;
    }
    const read = spawnSync('tshark', ['-r', output, '-T', 'fields', '-e', 'udp.dstport'], { encoding: 'utf8' });
    expect(read.stdout.trim().split('\n')).toEqual(['7107', '40000', '7107', '7107', '40000']);
  });

  it('prints a Mermaid diagram, reads stdin with -, and writes SVG', TIMEOUT, async () => {
    const fromFile = await runTs(MAIN, ['diagram', traceFile()]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('sequenceDiagram\n');
    expect(fromFile.stdout).toContain('L1-xL2: SEND_TIME (lost)');
    const fromStdin = await runTs(MAIN, ['diagram', '-'], { input: traceText() });
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    const svg = join(dir, 'run.svg');
    const drawn = await runTs(MAIN, ['diagram', traceFile(), '--svg', svg, '--title', 'udp-datetime', '--max-steps', '3']);
    expect(drawn.code).toBe(0);
    const picture = readFileSync(svg, 'utf8');
    expect(picture).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(picture).toContain('… 2 more steps not drawn: 2 messages');
  });

  it('prints statistics as a table and as JSON', TIMEOUT, async () => {
    const table = await runTs(MAIN, ['stats', traceFile()]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^retransmissions +1$/m);
    expect(table.stdout).toMatch(/^rtt \(ms\) +min 3\.000 +avg 3\.000 +p99 3\.000 +max 3\.000 +\(1 samples\)$/m);
    const json = await runTs(MAIN, ['stats', traceFile(), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ records: 5, retransmissions: 1, messages: { fromClients: 3, fromServers: 2 }, rtt: { samples: 1, minMs: 3 } });
  });

  it('is reachable as netlab trace', TIMEOUT, async () => {
    const result = await runTs(NETLAB, ['trace', 'stats', traceFile(), '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ records: 5 });
  });

  it('fails with one line naming the file and line of a bad record, and writes nothing', TIMEOUT, async () => {
    const lines = traceText().split('\n');
    const output = join(dir, 'bad.pcapng');
    const result = await runTs(MAIN, ['pcap', traceFile(`${lines[0] ?? ''}\n{"v":1,"t":"soon"}\n`), '-o', output]);
    expect(result.code).toBe(1);
    expect(oneErrorLine(result.stderr)).toMatch(/^error: .*run\.jsonl: line 2: /);
    expect(() => readFileSync(output)).toThrow();
    const newer = await runTs(MAIN, ['stats', traceFile(lines[0]?.replace('"v":1', '"v":2'))]);
    expect(oneErrorLine(newer.stderr)).toMatch(/line 1: trace version 2 is not supported/);
    const missing = await runTs(MAIN, ['stats', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(oneErrorLine(missing.stderr)).toMatch(/^error: .*nope\.jsonl: .*ENOENT/);
    const usage = await runTs(MAIN, ['diagram', traceFile(), '--max-steps', '0']);
    expect(usage.code).not.toBe(0);
    expect(oneErrorLine(usage.stderr)).toMatch(/^error: .*--max-steps/);
  });

  it('explains every subcommand with examples in --help', TIMEOUT, async () => {
    const top = await runTs(MAIN, ['--help']);
    expect(top.code).toBe(0);
    for (const word of ['pcap', 'diagram', 'stats', 'Examples:', 'docs/trace.md']) expect(top.stdout).toContain(word);
    for (const sub of ['pcap', 'diagram', 'stats']) {
      const help = await runTs(MAIN, [sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples:');
    }
  });
});
