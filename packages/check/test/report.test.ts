import { XMLParser } from 'fast-xml-parser';
import { SaxesParser } from 'saxes';
import { Parser, type Result } from 'tap-parser';
import { describe, expect, it } from 'vitest';
import { type CheckReport, REPORT_FORMATS, formatProgressLine, formatReport, parseReportFormat } from '../src/index.js';

const REPORT: CheckReport = {
  exercise: 'echo',
  target: 'server-cmd: python3 server.py --port {port}',
  seed: 42,
  passed: 2,
  failed: 2,
  score: 3,
  maxScore: 6,
  cases: [
    { id: 'echo.basic.line', title: 'echoes a line unchanged', group: 'basic', points: 2, status: 'pass', message: '', durationMs: 12 },
    { id: 'echo.basic.utf8', title: 'echoes <non-ASCII> & "quoted" # text', group: 'basic', points: 1, status: 'pass', message: '', durationMs: 3 },
    {
      id: 'echo.framing.one-byte-segments',
      title: 'reassembles a line that arrives one byte per TCP segment',
      group: 'framing',
      points: 2,
      status: 'fail',
      message: 'client: sent "hey\\n"; expected "hey"; got "h" <&> \u001b[31m',
      durationMs: 250,
    },
    { id: 'echo.robustness.invalid-utf8', title: 'answers bytes that are not UTF-8', group: 'robustness', points: 1, status: 'error', message: 'client: could not connect to 127.0.0.1:9 (ECONNREFUSED)', durationMs: 1 },
    { id: 'echo.faults.latency', title: 'works through a proxy', group: 'faults', points: 1, status: 'skip', message: 'skipped: fault cases are off (--no-faults)', durationMs: 0 },
  ],
};

/** Throws on any well-formedness error (saxes is a strict, conforming XML parser). */
function wellFormed(xml: string): void {
  const parser = new SaxesParser();
  parser.on('error', (error) => {
    throw error;
  });
  parser.write(xml).close();
}

function parseTap(text: string): Promise<{ results: Result[]; ok: boolean; plan: { start: number; end: number } }> {
  return new Promise((resolve) => {
    const results: Result[] = [];
    const parser = new Parser((final) => {
      resolve({ results, ok: final.ok, plan: { start: final.plan.start ?? 0, end: final.plan.end ?? 0 } });
    });
    parser.on('assert', (result: Result) => results.push(result));
    parser.end(text);
  });
}

describe('reports', () => {
  it('JUnit: well-formed XML with one testcase per case, classname <exercise>.<group>, failure/error/skipped elements', () => {
    const xml = formatReport(REPORT, 'junit');
    expect(() => { wellFormed(xml); }).not.toThrow();
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' || name === 'property' }).parse(xml) as {
      testsuites: { testsuite: { tests: string; failures: string; errors: string; skipped: string; properties: { property: { name: string; value: string }[] }; testcase: Record<string, unknown>[] } };
    };
    const suite = doc.testsuites.testsuite;
    expect([suite.tests, suite.failures, suite.errors, suite.skipped]).toEqual(['5', '1', '1', '1']);
    expect(suite.properties.property).toContainEqual({ name: 'seed', value: '42' });
    expect(suite.testcase.map((c) => [c.classname, c.name])).toEqual(REPORT.cases.map((c) => [`echo.${c.group}`, c.id]));
    const failure = suite.testcase[2]?.failure as { message: string; type: string };
    expect(failure.type).toBe('fail');
    expect(failure.message).toBe('client: sent "hey\\n"; expected "hey"; got "h" <&> ?[31m');
    expect((suite.testcase[3]?.error as { message: string }).message).toContain('ECONNREFUSED');
    expect(suite.testcase[4]?.skipped).toBeDefined();
    expect(suite.testcase[0]?.failure).toBeUndefined();
  });

  it('TAP 14: a parser reads the plan, one point per case, failures as not ok and the skip directive', async () => {
    const tap = formatReport(REPORT, 'tap');
    expect(tap.split('\n')[0]).toBe('TAP version 14');
    const parsed = await parseTap(tap);
    expect(parsed.plan).toEqual({ start: 1, end: 5 });
    expect(parsed.ok).toBe(false);
    expect(parsed.results.map((r) => [r.id, r.ok])).toEqual([
      [1, true],
      [2, true],
      [3, false],
      [4, false],
      [5, true],
    ]);
    expect(parsed.results[4]?.skip).toBe('fault cases are off (--no-faults)');
    expect(parsed.results[1]?.name).toBe('echo.basic.utf8 - echoes <non-ASCII> & "quoted" # text');
    expect((parsed.results[2]?.diag as { message: string; points: number } | null)?.message).toContain('expected "hey"');
    expect((parsed.results[2]?.diag as { points: number } | null)?.points).toBe(2);
  });

  it('Gradescope: results.json with score, tests[] of name, score, max_score, status, output', () => {
    const results = JSON.parse(formatReport(REPORT, 'gradescope')) as { score: number; output: string; tests: { name: string; score: number; max_score: number; status: string; output: string }[] };
    expect(results.score).toBe(3);
    expect(results.output).toContain('seed 42');
    expect(results.tests).toHaveLength(5);
    expect(results.tests[0]).toEqual({ name: 'echo.basic.line: echoes a line unchanged', score: 2, max_score: 2, status: 'passed', output: 'passed' });
    expect(results.tests[2]).toMatchObject({ score: 0, max_score: 2, status: 'failed' });
    expect(results.tests[4]).toMatchObject({ score: 0, max_score: 0 });
    expect(results.tests.reduce((sum, t) => sum + t.score, 0)).toBe(results.score);
  });

  it('JSON: exactly the documented fields', () => {
    const json = JSON.parse(formatReport(REPORT, 'json')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['exercise', 'target', 'seed', 'passed', 'failed', 'score', 'maxScore', 'cases']);
    expect(Object.keys((json.cases as Record<string, unknown>[])[0] ?? {})).toEqual(['id', 'title', 'group', 'points', 'status', 'message', 'durationMs']);
    expect(json).toEqual(JSON.parse(JSON.stringify(REPORT)));
  });

  it('text: a row per case with its mark and points, the message under a failure, the score and the seed; colour only when asked', () => {
    const text = formatReport(REPORT, 'text');
    const lines = text.split('\n');
    expect(lines[0]).toBe('netlab check echo: server-cmd: python3 server.py --port {port} (seed 42)');
    expect(text).toMatch(/^✓ echo\.basic\.line +2\/2 {2}echoes a line unchanged$/mu);
    expect(text).toMatch(/^✗ echo\.framing\.one-byte-segments +0\/2 /mu);
    expect(text).toMatch(/^! echo\.robustness\.invalid-utf8 /mu);
    expect(text).toMatch(/^- echo\.faults\.latency /mu);
    expect(text).toContain('    client: sent "hey\\n"; expected "hey"; got "h" <&> ?[31m');
    expect(text).toContain('score 3/6: 2 passed, 2 failed, 1 skipped (seed 42; replay with --seed 42)');
    // eslint-disable-next-line no-control-regex -- looking for escape sequences
    expect(text).not.toMatch(/\u001b/u);
    expect(formatReport(REPORT, 'text', { color: true })).toContain('\u001b[32m✓\u001b[0m');
    expect(formatProgressLine(REPORT.cases[2]!, 2, 5)).toBe('[3/5] ✗ echo.framing.one-byte-segments (250 ms)');
  });

  it('knows its formats and refuses others with ERR_INVALID_OPTION', () => {
    for (const format of REPORT_FORMATS) expect(parseReportFormat(format)).toBe(format);
    expect(() => parseReportFormat('html')).toThrow(/unknown format "html"/u);
  });
});
