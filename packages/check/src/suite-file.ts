/**
 * A teacher's own suite, in YAML (or JSON, which is YAML too):
 *
 *   exercise: my-echo            # the name in reports
 *   transport: tcp               # tcp | udp
 *   cases:
 *     - id: echo-basic           # letters, digits, . _ -; unique
 *       title: echoes a line
 *       points: 2                # default 1
 *       group: basic             # default "custom"
 *       timeoutMs: 10000         # whole case, default 30000 (× --time-scale)
 *       steps:
 *         - connect: a                           # TCP connection, or UDP socket, named "a"
 *         - send: { to: a, text: "hello\n" }     # or hex: "68656c6c6f0a"
 *         - expect: { from: a, line: "hello" }   # or match: "^hel+o$"; timeoutMs: 2000
 *         - expect: { from: a, closed: true }    # TCP: the server closed the connection
 *         - pause: 200                           # ms (× --time-scale)
 *         - close: a
 *
 * Over UDP `line`/`match` apply to the next datagram (one trailing newline dropped). Every
 * problem is an `ERR_SUITE_FILE` naming the file, line and column, and the path of the field:
 * `suite.yaml:9:11: cases[0].steps[1].send: give "text" or "hex"`.
 *
 * Limits: a file of at most 1 MiB, 1000 cases, 1000 steps per case, 64 KiB per sent message.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, type Node, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { DEFAULT_REPLY_TIMEOUT_MS, type ServerCase, type ServerSuite } from './case.js';
import { CheckError } from './errors.js';
import type { TcpProbe } from './tcp-probe.js';
import type { UdpProbe } from './udp-probe.js';

export const MAX_SUITE_FILE_BYTES = 1024 * 1024;
export const MAX_SUITE_CASES = 1000;
export const MAX_CASE_STEPS = 1000;
export const MAX_SEND_BYTES = 64 * 1024;
/** Longest `pause` or `timeoutMs` in a suite file, ms. */
export const MAX_SUITE_WAIT_MS = 600_000;

type Step =
  | { readonly kind: 'connect'; readonly name: string }
  | { readonly kind: 'send'; readonly to: string; readonly bytes: Uint8Array }
  | { readonly kind: 'expect-line'; readonly from: string; readonly expected: string | RegExp; readonly timeoutMs: number }
  | { readonly kind: 'expect-closed'; readonly from: string; readonly timeoutMs: number }
  | { readonly kind: 'pause'; readonly ms: number }
  | { readonly kind: 'close'; readonly name: string };

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/u;

class Reader {
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  fail(node: Node | null | undefined, path: string, message: string): never {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    throw new CheckError('ERR_SUITE_FILE', `${this.file}:${line}:${col}: ${path}: ${message}`);
  }

  map(node: unknown, path: string, allowed: readonly string[], parent: Node | null | undefined): Map<string, Node> {
    if (!isMap(node)) this.fail(asNode(node) ?? parent, path, 'expected a mapping (key: value)');
    const out = new Map<string, Node>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) this.fail(asNode(pair.key) ?? node, path, 'keys must be plain words');
      if (!allowed.includes(key)) this.fail(asNode(pair.key), `${path}.${key}`, `unknown field (expected one of: ${allowed.join(', ')})`);
      if (out.has(key)) this.fail(asNode(pair.key), `${path}.${key}`, 'given twice');
      out.set(key, asNode(pair.value) ?? (pair.key as Node));
    }
    return out;
  }

  string(node: Node | undefined, path: string, parent: Node): string {
    if (node === undefined) this.fail(parent, path, 'is required');
    if (!isScalar(node) || typeof node.value !== 'string') this.fail(node, path, 'expected a string (quote it)');
    return node.value;
  }

  number(node: Node | undefined, path: string, min: number, max: number, fallback: number): number {
    if (node === undefined) return fallback;
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value) || node.value < min || node.value > max) {
      this.fail(node, path, `expected a number from ${min} to ${max}`);
    }
    return node.value;
  }
}

function asNode(value: unknown): Node | undefined {
  return value !== null && typeof value === 'object' && 'range' in value ? (value as Node) : undefined;
}

function parseHex(reader: Reader, node: Node, path: string, text: string): Uint8Array {
  const compact = text.replace(/[\s:]/gu, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/u.test(compact)) reader.fail(node, path, 'expected hex digits in pairs ("68656c6c6f0a")');
  return Uint8Array.from(Buffer.from(compact, 'hex'));
}

function parseStep(reader: Reader, node: unknown, path: string, transport: 'tcp' | 'udp', open: Set<string>, parent: Node): Step {
  const fields = reader.map(node, path, ['connect', 'send', 'expect', 'pause', 'close'], parent);
  if (fields.size !== 1) reader.fail(asNode(node), path, 'a step has exactly one of: connect, send, expect, pause, close');
  const [[kind, value]] = [...fields.entries()] as [[string, Node]];
  const here = `${path}.${kind}`;
  const known = (name: string, at: Node): string => {
    if (!open.has(name)) reader.fail(at, here, `no connection "${name}" is open here (connect it first)`);
    return name;
  };
  switch (kind) {
    case 'connect': {
      const name = reader.string(value, here, value);
      if (!ID.test(name)) reader.fail(value, here, 'a connection name is letters, digits, . _ -');
      open.add(name);
      return { kind: 'connect', name };
    }
    case 'close': {
      const name = known(reader.string(value, here, value), value);
      open.delete(name);
      return { kind: 'close', name };
    }
    case 'pause':
      return { kind: 'pause', ms: reader.number(value, here, 0, MAX_SUITE_WAIT_MS, 0) };
    case 'send': {
      const f = reader.map(value, here, ['to', 'text', 'hex'], value);
      const to = known(reader.string(f.get('to'), `${here}.to`, value), f.get('to') ?? value);
      const text = f.get('text');
      const hex = f.get('hex');
      if ((text === undefined) === (hex === undefined)) reader.fail(value, here, 'give "text" or "hex" (one of them)');
      const bytes = text !== undefined ? new TextEncoder().encode(reader.string(text, `${here}.text`, value)) : parseHex(reader, hex ?? value, `${here}.hex`, reader.string(hex, `${here}.hex`, value));
      if (bytes.length > MAX_SEND_BYTES) reader.fail(value, here, `at most ${MAX_SEND_BYTES} bytes per send`);
      return { kind: 'send', to, bytes };
    }
    default: {
      const f = reader.map(value, here, ['from', 'line', 'match', 'closed', 'timeoutMs'], value);
      const from = known(reader.string(f.get('from'), `${here}.from`, value), f.get('from') ?? value);
      const timeoutMs = reader.number(f.get('timeoutMs'), `${here}.timeoutMs`, 1, MAX_SUITE_WAIT_MS, DEFAULT_REPLY_TIMEOUT_MS);
      const line = f.get('line');
      const match = f.get('match');
      const closed = f.get('closed');
      const given = [line, match, closed].filter((n) => n !== undefined).length;
      if (given !== 1) reader.fail(value, here, 'give one of "line", "match" or "closed: true"');
      if (closed !== undefined) {
        if (!isScalar(closed) || closed.value !== true) reader.fail(closed, `${here}.closed`, 'expected true');
        if (transport === 'udp') reader.fail(closed, `${here}.closed`, 'UDP has no connection to close');
        return { kind: 'expect-closed', from, timeoutMs };
      }
      if (line !== undefined) return { kind: 'expect-line', from, expected: reader.string(line, `${here}.line`, value), timeoutMs };
      const pattern = reader.string(match, `${here}.match`, value);
      let expected: RegExp;
      try {
        expected = new RegExp(pattern, 'u');
      } catch (error) {
        reader.fail(match, `${here}.match`, `not a regular expression: ${error instanceof Error ? error.message : String(error)}`);
      }
      return { kind: 'expect-line', from, expected, timeoutMs };
    }
  }
}

function compileCase(id: string, title: string, group: string, points: number, timeoutMs: number | undefined, steps: readonly Step[], transport: 'tcp' | 'udp'): ServerCase {
  return {
    id,
    title,
    group,
    points,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    async run(ctx) {
      const tcp = new Map<string, TcpProbe>();
      const udp = new Map<string, UdpProbe>();
      for (const step of steps) {
        switch (step.kind) {
          case 'connect':
            if (transport === 'tcp') tcp.set(step.name, await ctx.tcp(step.name));
            else udp.set(step.name, await ctx.udp(step.name));
            break;
          case 'send':
            await (transport === 'tcp' ? tcp.get(step.to)?.send(step.bytes) : udp.get(step.to)?.send(step.bytes));
            break;
          case 'expect-line':
            if (transport === 'tcp') await tcp.get(step.from)?.expectLine(step.expected, { timeoutMs: ctx.ms(step.timeoutMs) });
            else await udp.get(step.from)?.expectDatagram(step.expected, { timeoutMs: ctx.ms(step.timeoutMs) });
            break;
          case 'expect-closed':
            await tcp.get(step.from)?.expectClosed({ timeoutMs: ctx.ms(step.timeoutMs) });
            break;
          case 'pause':
            await ctx.pause(step.ms);
            break;
          case 'close':
            tcp.get(step.name)?.destroy();
            await udp.get(step.name)?.close();
            tcp.delete(step.name);
            udp.delete(step.name);
            break;
        }
      }
    },
  };
}

/** Parses and validates suite-file text; `file` names it in errors. */
export function parseSuiteFile(text: string, file = 'suite'): ServerSuite {
  if (Buffer.byteLength(text, 'utf8') > MAX_SUITE_FILE_BYTES) throw new CheckError('ERR_SUITE_FILE', `${file}: larger than ${MAX_SUITE_FILE_BYTES} bytes`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    throw new CheckError('ERR_SUITE_FILE', `${file}:${line}:${col}: not valid YAML: ${syntax.message.split('\n')[0] ?? ''}`);
  }
  const reader: Reader = new Reader(file, lines);
  const root = asNode(doc.contents);
  const top = reader.map(doc.contents, 'suite', ['exercise', 'transport', 'cases'], root);
  const rootNode = root ?? (doc.contents as unknown as Node);
  const exercise = reader.string(top.get('exercise'), 'exercise', rootNode);
  if (!ID.test(exercise)) reader.fail(top.get('exercise'), 'exercise', 'letters, digits, . _ - (it names the report)');
  const transportText = reader.string(top.get('transport'), 'transport', rootNode);
  if (transportText !== 'tcp' && transportText !== 'udp') reader.fail(top.get('transport'), 'transport', 'expected tcp or udp');
  const transport = transportText;
  const casesNode = top.get('cases');
  if (!isSeq(casesNode) || casesNode.items.length === 0) reader.fail(casesNode ?? rootNode, 'cases', 'expected a list of at least one case');
  if (casesNode.items.length > MAX_SUITE_CASES) reader.fail(casesNode, 'cases', `at most ${MAX_SUITE_CASES} cases`);
  const ids = new Set<string>();
  const cases = casesNode.items.map((item, i) => {
    const path = `cases[${i}]`;
    const itemNode = asNode(item) ?? casesNode;
    const f = reader.map(item, path, ['id', 'title', 'points', 'group', 'timeoutMs', 'steps'], casesNode);
    const id = reader.string(f.get('id'), `${path}.id`, itemNode);
    if (!ID.test(id)) reader.fail(f.get('id'), `${path}.id`, 'letters, digits, . _ - (at most 128)');
    if (ids.has(id)) reader.fail(f.get('id'), `${path}.id`, `duplicate id "${id}"`);
    ids.add(id);
    const title = reader.string(f.get('title'), `${path}.title`, itemNode);
    const group = f.has('group') ? reader.string(f.get('group'), `${path}.group`, itemNode) : 'custom';
    if (!ID.test(group)) reader.fail(f.get('group'), `${path}.group`, 'letters, digits, . _ -');
    const points = reader.number(f.get('points'), `${path}.points`, 0, 1000, 1);
    const timeoutMs = f.has('timeoutMs') ? reader.number(f.get('timeoutMs'), `${path}.timeoutMs`, 1, MAX_SUITE_WAIT_MS, 0) : undefined;
    const stepsNode = f.get('steps');
    if (!isSeq(stepsNode) || stepsNode.items.length === 0) reader.fail(stepsNode ?? itemNode, `${path}.steps`, 'expected a list of at least one step');
    if (stepsNode.items.length > MAX_CASE_STEPS) reader.fail(stepsNode, `${path}.steps`, `at most ${MAX_CASE_STEPS} steps`);
    const open = new Set<string>();
    const steps = stepsNode.items.map((step, j) => parseStep(reader, step, `${path}.steps[${j}]`, transport, open, stepsNode));
    return compileCase(id, title, group, points, timeoutMs, steps, transport);
  });
  return { role: 'server', exercise, transport, cases };
}

/** Reads and parses a suite file; unreadable files are `ERR_SUITE_FILE` too. */
export async function loadSuiteFile(path: string): Promise<ServerSuite> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CheckError('ERR_SUITE_FILE', `cannot read suite file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return parseSuiteFile(text, path);
}
