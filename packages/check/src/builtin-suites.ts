/**
 * The suites netlab ships, by exercise: a server suite for each of the text and datagram
 * exercises and the ATM (docs/protocols/atm.md), and client suites where the exercise has a
 * client worth grading.
 */
import type { ClientSuite, ServerSuite } from './case.js';
import { CheckError } from './errors.js';
import { atmServerSuite } from './atm/server-suite.js';
import { CLIENT_SUITES } from './client-suites/all.js';
import { calculatorSuite } from './suites/calculator.js';
import { chatSuite } from './suites/chat.js';
import { echoSuite } from './suites/echo.js';
import { greetingSuite } from './suites/greeting.js';
import { knockKnockSuite } from './suites/knock-knock.js';
import { primePalindromeSuite } from './suites/prime-palindrome.js';
import { textCaseSuite } from './suites/text-case.js';
import { udpDatetimeSuite } from './suites/udp-datetime.js';
import { udpHelloSuite } from './suites/udp-hello.js';

/** Server suites, in tour order. */
export const SERVER_SUITES: readonly ServerSuite[] = [
  greetingSuite,
  echoSuite,
  textCaseSuite,
  primePalindromeSuite,
  knockKnockSuite,
  udpHelloSuite,
  udpDatetimeSuite,
  calculatorSuite,
  chatSuite,
  atmServerSuite,
];

export { CLIENT_SUITES };

/** Exercises whose suites are planned but not built yet, with the reason. */
export const PENDING_SUITES: Readonly<Record<string, string>> = {};

/** The built-in suite for `exercise` and `role`; throws `ERR_UNKNOWN_EXERCISE`. */
export function findSuite(exercise: string, role: 'server'): ServerSuite;
export function findSuite(exercise: string, role: 'client'): ClientSuite;
export function findSuite(exercise: string, role: 'server' | 'client'): ServerSuite | ClientSuite {
  const list: readonly (ServerSuite | ClientSuite)[] = role === 'server' ? SERVER_SUITES : CLIENT_SUITES;
  const suite = list.find((s) => s.exercise === exercise);
  if (suite !== undefined) return suite;
  const pending = PENDING_SUITES[exercise];
  if (pending !== undefined) throw new CheckError('ERR_UNKNOWN_EXERCISE', `no ${role} suite for ${exercise} yet: ${pending}`);
  const known = list.map((s) => s.exercise).join(', ');
  throw new CheckError('ERR_UNKNOWN_EXERCISE', `no ${role} suite for "${exercise}" (${role} suites: ${known})`);
}
