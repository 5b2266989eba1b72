import { describe, expect, it } from 'vitest';
import { CheckError, MAX_SEND_BYTES, parseSuiteFile } from '../src/index.js';

const VALID = `exercise: my-echo            # the name in reports
transport: tcp
cases:
  - id: echo-basic
    title: echoes a line
    points: 2
    steps:
      - connect: a
      - send: { to: a, text: "hello\\n" }
      - expect: { from: a, line: "hello" }
      - send: { to: a, hex: "62 79 65 0a" }
      - expect: { from: a, match: "^Good" , timeoutMs: 2000 }
      - expect: { from: a, closed: true }
      - close: a
  - id: second
    title: another
    group: extra
    steps:
      - connect: b
      - pause: 10
`;

function errorOf(text: string): string {
  try {
    parseSuiteFile(text, 'suite.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(CheckError);
    expect((error as CheckError).code).toBe('ERR_SUITE_FILE');
    return (error as Error).message;
  }
  throw new Error('expected the suite file to be refused');
}

describe('suite files', () => {
  it('reads the documented shape into cases with ids, titles, groups and points', () => {
    const suite = parseSuiteFile(VALID, 'suite.yaml');
    expect(suite.exercise).toBe('my-echo');
    expect(suite.transport).toBe('tcp');
    expect(suite.cases.map((c) => [c.id, c.title, c.group, c.points])).toEqual([
      ['echo-basic', 'echoes a line', 'custom', 2],
      ['second', 'another', 'extra', 1],
    ]);
  });

  it('reads the same suite written as JSON', () => {
    const json = JSON.stringify({ exercise: 'j', transport: 'udp', cases: [{ id: 'a', title: 't', steps: [{ connect: 's' }, { send: { to: 's', text: 'x' } }, { expect: { from: 's', line: 'Ok' } }] }] });
    expect(parseSuiteFile(json, 'suite.json').cases).toHaveLength(1);
  });

  it.each([
    ['a YAML syntax error', 'exercise: x\ntransport: tcp\ncases: [\n', /^suite\.yaml:4:1: not valid YAML/u],
    ['an unknown top-level field', 'exercise: x\ntransport: tcp\nkases: []\n', /^suite\.yaml:3:1: suite\.kases: unknown field/u],
    ['a bad transport', 'exercise: x\ntransport: sctp\ncases: []\n', /^suite\.yaml:2:12: transport: expected tcp or udp/u],
    ['no cases', 'exercise: x\ntransport: tcp\ncases: []\n', /^suite\.yaml:3:8: cases: expected a list of at least one case/u],
    ['a misspelt step', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    steps:\n      - connect: a\n      - sned: { to: a, text: "x" }\n', /^suite\.yaml:8:9: cases\[0\]\.steps\[1\]\.sned: unknown field \(expected one of: connect, send, expect, pause, close\)/u],
    ['a send to a connection never opened', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    steps:\n      - send: { to: b, text: "x" }\n', /^suite\.yaml:7:21: cases\[0\]\.steps\[0\]\.send: no connection "b" is open here/u],
    ['both text and hex', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    steps:\n      - connect: a\n      - send: { to: a, text: "x", hex: "78" }\n', /^suite\.yaml:8:15: cases\[0\]\.steps\[1\]\.send: give "text" or "hex"/u],
    ['bad hex', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    steps:\n      - connect: a\n      - send: { to: a, hex: "7" }\n', /^suite\.yaml:8:29: cases\[0\]\.steps\[1\]\.send\.hex: expected hex digits in pairs/u],
    ['a bad regular expression', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    steps:\n      - connect: a\n      - expect: { from: a, match: "(" }\n', /^suite\.yaml:8:35: cases\[0\]\.steps\[1\]\.expect\.match: not a regular expression/u],
    ['closed over UDP', 'exercise: x\ntransport: udp\ncases:\n  - id: a\n    title: t\n    steps:\n      - connect: a\n      - expect: { from: a, closed: true }\n', /UDP has no connection to close/u],
    ['a duplicate id', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    steps: [ { connect: a } ]\n  - id: a\n    title: u\n    steps: [ { connect: a } ]\n', /^suite\.yaml:7:9: cases\[1\]\.id: duplicate id "a"/u],
    ['points that are not a number', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    points: two\n    steps: [ { connect: a } ]\n', /^suite\.yaml:6:13: cases\[0\]\.points: expected a number from 0 to 1000/u],
    ['a missing title', 'exercise: x\ntransport: tcp\ncases:\n  - id: a\n    steps: [ { connect: a } ]\n', /^suite\.yaml:4:5: cases\[0\]\.title: is required/u],
  ])('refuses %s with the line and column and the field path', (_what, text, pattern) => {
    expect(errorOf(text)).toMatch(pattern);
  });

  it(`accepts a send of exactly ${MAX_SEND_BYTES} bytes and refuses one byte more`, () => {
    const suite = (hexBytes: number): string => `exercise: x\ntransport: tcp\ncases:\n  - id: a\n    title: t\n    steps:\n      - connect: a\n      - send: { to: a, hex: "${'61'.repeat(hexBytes)}" }\n`;
    expect(parseSuiteFile(suite(MAX_SEND_BYTES)).cases).toHaveLength(1);
    expect(errorOf(suite(MAX_SEND_BYTES + 1))).toMatch(/at most 65536 bytes per send/u);
  });
});
