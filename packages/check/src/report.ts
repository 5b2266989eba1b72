/**
 * One result model, five report formats:
 *
 * - `text`: one row per case (✓ pass, ✗ fail, ! error, - skip) with its points, the failure
 *   message indented under it, then the score line with the seed. Colour only when asked
 *   (the CLI asks on a TTY without `NO_COLOR`).
 * - `json`: `{exercise, target, seed, passed, failed, score, maxScore, cases: [{id, title,
 *   group, points, status, message, durationMs}]}`.
 * - `junit`: JUnit XML, one `<testsuite name="<exercise>">`, one `<testcase
 *   classname="<exercise>.<group>" name="<id>">` per case with `<failure message=…>`,
 *   `<error message=…>` or `<skipped message=…>`; seed and target as properties.
 * - `tap`: TAP version 14, one test point per case, the message in a YAML diagnostic block,
 *   skips as `# SKIP`.
 * - `gradescope`: Gradescope's `results.json`: `score`, `output`, `tests[]` with `name`,
 *   `score`, `max_score`, `status`, `output`.
 *
 * Every string that reaches XML, TAP or a terminal is free of control characters (messages are
 * escaped by `escape.ts`; titles and targets are cleaned here).
 */
import type { CaseResult, CaseStatus, CheckReport } from './case.js';
import { CheckError } from './errors.js';

export const REPORT_FORMATS = ['text', 'json', 'junit', 'tap', 'gradescope'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface FormatOptions {
  /** ANSI colours in the text format. Default false. */
  readonly color?: boolean;
}

/** Throws `ERR_INVALID_OPTION` unless `value` is a report format. */
export function parseReportFormat(value: string): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new CheckError('ERR_INVALID_OPTION', `unknown format "${value}" (expected ${REPORT_FORMATS.join(', ')})`);
}

// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** Removes characters that break a line-oriented format or a terminal. */
function clean(text: string): string {
  return text.replace(CONTROL, '?');
}

const MARKS: Readonly<Record<CaseStatus, string>> = { pass: '✓', fail: '✗', error: '!', skip: '-' };
const COLORS: Readonly<Record<CaseStatus, string>> = { pass: '\u001b[32m', fail: '\u001b[31m', error: '\u001b[31m', skip: '\u001b[2m' };
const RESET = '\u001b[0m';

/** The one-line progress a TTY shows after each case. */
export function formatProgressLine(result: CaseResult, index: number, total: number, color = false): string {
  const mark = color ? `${COLORS[result.status]}${MARKS[result.status]}${RESET}` : MARKS[result.status];
  return `[${index + 1}/${total}] ${mark} ${result.id} (${result.durationMs} ms)`;
}

function skipped(report: CheckReport): number {
  return report.cases.filter((c) => c.status === 'skip').length;
}

function formatText(report: CheckReport, color: boolean): string {
  const paint = (status: CaseStatus, text: string): string => (color ? `${COLORS[status]}${text}${RESET}` : text);
  const idWidth = Math.min(48, Math.max(8, ...report.cases.map((c) => c.id.length)));
  const lines = [`netlab check ${clean(report.exercise)}: ${clean(report.target)} (seed ${report.seed})`, ''];
  for (const c of report.cases) {
    const earned = c.status === 'pass' ? c.points : 0;
    lines.push(`${paint(c.status, MARKS[c.status])} ${c.id.padEnd(idWidth)}  ${`${earned}/${c.points}`.padStart(5)}  ${clean(c.title)}`);
    if (c.message !== '') lines.push(`    ${paint(c.status, clean(c.message))}`);
  }
  const skips = skipped(report);
  lines.push('');
  lines.push(
    `score ${report.score}/${report.maxScore}: ${report.passed} passed, ${report.failed} failed${skips > 0 ? `, ${skips} skipped` : ''} (seed ${report.seed}; replay with --seed ${report.seed})`,
  );
  return `${lines.join('\n')}\n`;
}

function formatJson(report: CheckReport): string {
  const shaped = {
    exercise: report.exercise,
    target: report.target,
    seed: report.seed,
    passed: report.passed,
    failed: report.failed,
    score: report.score,
    maxScore: report.maxScore,
    cases: report.cases.map((c) => ({ id: c.id, title: c.title, group: c.group, points: c.points, status: c.status, message: c.message, durationMs: c.durationMs })),
  };
  return `${JSON.stringify(shaped, null, 2)}\n`;
}

function xml(text: string): string {
  return clean(text).replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;').replace(/"/gu, '&quot;').replace(/'/gu, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function formatJunit(report: CheckReport): string {
  const failures = report.cases.filter((c) => c.status === 'fail').length;
  const errors = report.cases.filter((c) => c.status === 'error').length;
  const total = report.cases.reduce((sum, c) => sum + c.durationMs, 0);
  const counts = `tests="${report.cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped(report)}" time="${seconds(total)}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="netlab check ${xml(report.exercise)}" ${counts}>`,
    `  <testsuite name="${xml(report.exercise)}" ${counts}>`,
    '    <properties>',
    `      <property name="seed" value="${report.seed}"/>`,
    `      <property name="target" value="${xml(report.target)}"/>`,
    `      <property name="score" value="${report.score}"/>`,
    `      <property name="maxScore" value="${report.maxScore}"/>`,
    '    </properties>',
  ];
  for (const c of report.cases) {
    const open = `    <testcase classname="${xml(`${report.exercise}.${c.group}`)}" name="${xml(c.id)}" time="${seconds(c.durationMs)}"`;
    if (c.status === 'pass') {
      lines.push(`${open}/>`);
      continue;
    }
    const tag = c.status === 'fail' ? 'failure' : c.status === 'error' ? 'error' : 'skipped';
    lines.push(`${open}>`);
    lines.push(c.status === 'skip' ? `      <skipped message="${xml(c.message)}"/>` : `      <${tag} message="${xml(c.message)}" type="${c.status}">${xml(`${c.title}: ${c.message}`)}</${tag}>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}

function tapText(text: string): string {
  return clean(text).replace(/\\/gu, '\\\\').replace(/#/gu, '\\#');
}

function formatTap(report: CheckReport): string {
  const lines = ['TAP version 14', `# netlab check ${clean(report.exercise)}: ${clean(report.target)} (seed ${report.seed})`, `1..${report.cases.length}`];
  report.cases.forEach((c, i) => {
    const description = `${c.id} - ${tapText(c.title)}`;
    if (c.status === 'skip') {
      lines.push(`ok ${i + 1} - ${description} # SKIP ${tapText(c.message.replace(/^skipped: /u, ''))}`);
      return;
    }
    lines.push(`${c.status === 'pass' ? 'ok' : 'not ok'} ${i + 1} - ${description}`);
    lines.push('  ---');
    if (c.status !== 'pass') lines.push(`  message: ${JSON.stringify(clean(c.message))}`);
    lines.push(`  severity: ${c.status === 'pass' ? 'pass' : c.status}`);
    lines.push(`  group: ${JSON.stringify(c.group)}`);
    lines.push(`  points: ${c.points}`);
    lines.push(`  duration_ms: ${c.durationMs}`);
    lines.push('  ...');
  });
  lines.push(`# score ${report.score}/${report.maxScore}, ${report.passed} passed, ${report.failed} failed, seed ${report.seed}`);
  return `${lines.join('\n')}\n`;
}

function formatGradescope(report: CheckReport): string {
  const results = {
    score: report.score,
    output: `netlab check ${report.exercise}: ${report.passed} passed, ${report.failed} failed, ${skipped(report)} skipped (seed ${report.seed}; replay with --seed ${report.seed})`,
    execution_time: Math.round(report.cases.reduce((sum, c) => sum + c.durationMs, 0) / 1000),
    tests: report.cases.map((c) => ({
      name: `${c.id}: ${c.title}`,
      score: c.status === 'pass' ? c.points : 0,
      max_score: c.status === 'skip' ? 0 : c.points,
      status: c.status === 'pass' ? 'passed' : 'failed',
      output: c.status === 'pass' ? 'passed' : c.message,
    })),
  };
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** The report in `format`. */
export function formatReport(report: CheckReport, format: ReportFormat, options: FormatOptions = {}): string {
  switch (format) {
    case 'text':
      return formatText(report, options.color ?? false);
    case 'json':
      return formatJson(report);
    case 'junit':
      return formatJunit(report);
    case 'tap':
      return formatTap(report);
    case 'gradescope':
      return formatGradescope(report);
  }
}
