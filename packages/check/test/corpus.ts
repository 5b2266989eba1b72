/**
 * The corpus of student-style Python implementations (test/fixtures/python, standard library
 * only, one file each, written independently of netlab's code) and, for each, exactly the cases
 * it must fail: none for a correct one, the cases that target its one bug for a buggy one.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLIENT_SUITES, SERVER_SUITES, createClientRunner, createServerTarget, runClientSuite, runServerSuite } from '../src/index.js';

export interface CorpusEntry {
  /** `<exercise>/<file>.py` under test/fixtures/python. */
  readonly file: string;
  /** The bug, in a few words (empty for a correct one). */
  readonly bug: string;
  /** Case ids it must fail; every other case must pass. */
  readonly fails: readonly string[];
  /** Arguments after the file. Default `{port}` (servers), `{host} {port}` (clients). */
  readonly args?: string;
}

/** The ATM bank fixtures keep their store in the run's `{tmp}` (kept across a kill -9 and restart). */
const ATM_SERVER_ARGS = '{port} {tmp}/bank.json';
/** The ATM clients get the card, PIN and amount (minor units) of the client suite. */
const ATM_CLIENT_ARGS = '{host} {port} {card} {pin} withdraw {cents}';

export const SERVER_CORPUS: readonly CorpusEntry[] = [
  { file: 'greeting/correct.py', bug: '', fails: [] },
  { file: 'echo/correct.py', bug: '', fails: [] },
  { file: 'echo/one-client-at-a-time.py', bug: 'one client at a time', fails: ['echo.concurrency.idle-client'] },
  { file: 'echo/one-recv-one-message.py', bug: 'one recv() taken as one message', fails: ['echo.framing.one-byte-segments', 'echo.framing.split-utf8', 'echo.faults.slicing'] },
  { file: 'text-case/correct.py', bug: '', fails: [] },
  { file: 'prime-palindrome/correct.py', bug: '', fails: [] },
  { file: 'prime-palindrome/trial-division.py', bug: 'trial division takes seconds on an 18-digit prime', fails: ['prime-palindrome.basic.large-prime'] },
  { file: 'knock-knock/correct.py', bug: '', fails: [] },
  { file: 'knock-knock/exact-match.py', bug: 'answers matched exactly, not ignoring case and spaces', fails: ['knock-knock.basic.lenient-match'] },
  { file: 'udp-hello/correct.py', bug: '', fails: [] },
  { file: 'udp-datetime/correct.py', bug: '', fails: [] },
  { file: 'udp-datetime/small-buffer.py', bug: 'recvfrom(1024) cuts a too-large datagram short', fails: ['udp-datetime.framing.over-limit'] },
  { file: 'calculator/correct.py', bug: '', fails: [] },
  { file: 'calculator/float-arithmetic.py', bug: 'float arithmetic', fails: ['calculator.basic.exact-decimal'] },
  { file: 'chat/correct.py', bug: '', fails: [] },
  { file: 'chat/no-leave-on-drop.py', bug: 'a dropped member is never announced', fails: ['chat.robustness.dropped-member'] },
  { file: 'atm/correct.py', bug: '', fails: [], args: ATM_SERVER_ARGS },
  {
    file: 'atm/no-dedup.py',
    bug: 'no dedup table: a retransmitted request runs again',
    fails: ['atm.exactly-once.lost-reply', 'atm.exactly-once.duplicate', 'atm.exactly-once.late-copy', 'atm.exactly-once.retransmitted-withdrawal', 'atm.exactly-once.kill-restart'],
    args: ATM_SERVER_ARGS,
  },
  { file: 'atm/dedup-in-memory.py', bug: 'dedup table in memory only', fails: ['atm.exactly-once.kill-restart'], args: ATM_SERVER_ARGS },
];

/** Student-style clients, run with `--client-cmd "python3 FILE {host} {port}"`. */
export const CLIENT_CORPUS: readonly CorpusEntry[] = [
  { file: 'echo/client-correct.py', bug: '', fails: [] },
  { file: 'udp-hello/client-correct.py', bug: '', fails: [] },
  { file: 'udp-hello/client-waits-forever.py', bug: 'waits forever for a lost reply', fails: ['udp-hello.client.gives-up', 'udp-hello.client.retry'] },
  { file: 'udp-datetime/client-correct.py', bug: '', fails: [] },
  { file: 'udp-datetime/client-no-drain.py', bug: 'takes a late duplicate reply for the next answer', fails: ['udp-datetime.client.late-duplicate'] },
  { file: 'calculator/client-correct.py', bug: '', fails: [] },
  { file: 'chat/client-correct.py', bug: '', fails: [] },
  { file: '../../../../../docs/protocols/atm_client.py', bug: '', fails: [], args: ATM_CLIENT_ARGS },
  { file: 'atm/client-new-id-on-retry.py', bug: 'a new request id on retry', fails: ['atm.client.lost-reply', 'atm.client.lost-request', 'atm.client.lost-confirm-reply'], args: ATM_CLIENT_ARGS },
];

/** True when `python3` runs here; the corpus tests skip, saying so, when it does not. */
export const HAS_PYTHON = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;

export function fixturePath(file: string): string {
  return fileURLToPath(new URL(`./fixtures/python/${file}`, import.meta.url));
}

/** Runs the exercise's built-in server suite against the fixture; returns the ids of the cases that did not pass, with messages. */
export async function failingCases(file: string, seed: number, args = '{port}'): Promise<{ ids: string[]; messages: string[] }> {
  const exercise = file.split('/')[0] ?? '';
  const suite = SERVER_SUITES.find((s) => s.exercise === exercise);
  if (suite === undefined) throw new Error(`no suite for ${exercise}`);
  const target = createServerTarget({ kind: 'command', command: `python3 -B "${fixturePath(file)}" ${args}`, startTimeoutMs: 30_000 }, suite.transport);
  const report = await runServerSuite(suite, target, { seed, timeScale: 2 });
  const bad = report.cases.filter((c) => c.status === 'fail' || c.status === 'error');
  return { ids: bad.map((c) => c.id), messages: bad.map((c) => `${c.id}: ${c.message}`) };
}

/** Runs the exercise's built-in client suite with the fixture as the client. */
export async function failingClientCases(file: string, seed: number, args = '{host} {port}'): Promise<{ ids: string[]; messages: string[] }> {
  const exercise = file.endsWith('/atm_client.py') ? 'atm' : (file.split('/')[0] ?? '');
  const suite = CLIENT_SUITES.find((s) => s.exercise === exercise);
  if (suite === undefined) throw new Error(`no client suite for ${exercise}`);
  const report = await runClientSuite(suite, createClientRunner(`python3 -B "${fixturePath(file)}" ${args}`), { seed, timeScale: 1.5 });
  const bad = report.cases.filter((c) => c.status === 'fail' || c.status === 'error');
  return { ids: bad.map((c) => c.id), messages: bad.map((c) => `${c.id}: ${c.message}`) };
}
