import type { Command } from '@netlab/cli-kit';
import type { TourPart } from '@netlab/exercise-kit';
import { createCommand as atm, tourPart as atmTour } from '@netlab/app-atm';
import { createCommand as calculator, tourPart as calculatorTour } from '@netlab/app-calculator';
import { createCommand as chat, tourPart as chatTour } from '@netlab/app-chat';
import { createCommand as check, tourPart as checkTour } from '@netlab/app-check';
import { createCommand as echo, tourPart as echoTour } from '@netlab/app-echo';
import { createCommand as greeting, tourPart as greetingTour } from '@netlab/app-greeting';
import { createCommand as knockKnock, tourPart as knockKnockTour } from '@netlab/app-knock-knock';
import { createCommand as primePalindrome, tourPart as primePalindromeTour } from '@netlab/app-prime-palindrome';
import { createCommand as proxy } from '@netlab/app-proxy';
import { createCommand as textCase, tourPart as textCaseTour } from '@netlab/app-text-case';
import { createCommand as udpDatetime, tourPart as udpDatetimeTour } from '@netlab/app-udp-datetime';
import { createCommand as trace, tourPart as traceTour } from '@netlab/app-trace';
import { createCommand as udpHello, tourPart as udpHelloTour } from '@netlab/app-udp-hello';
import { createCommand as web } from '@netlab/app-web';
import { codecTourPart } from './codec-tour.js';

/** One entry of the umbrella CLI: a command (`netlab <name> ...`) and/or a part of the tour. */
export interface Exercise {
  readonly name: string;
  /** Builds `netlab <name>`; absent for tour-only entries. */
  readonly command?: () => Command;
  readonly tour?: TourPart;
}

/** Everything `netlab` knows, in tour order. Each exercise app adds itself here. */
export const EXERCISES: readonly Exercise[] = [
  { name: 'codec', tour: codecTourPart },
  { name: 'greeting', command: greeting, tour: greetingTour },
  { name: 'echo', command: echo, tour: echoTour },
  { name: 'text-case', command: textCase, tour: textCaseTour },
  { name: 'prime-palindrome', command: primePalindrome, tour: primePalindromeTour },
  { name: 'knock-knock', command: knockKnock, tour: knockKnockTour },
  { name: 'udp-hello', command: udpHello, tour: udpHelloTour },
  { name: 'udp-datetime', command: udpDatetime, tour: udpDatetimeTour },
  { name: 'calculator', command: calculator, tour: calculatorTour },
  { name: 'chat', command: chat, tour: chatTour },
  { name: 'atm', command: atm, tour: atmTour },
  { name: 'proxy', command: proxy },
  { name: 'check', command: check, tour: checkTour },
  { name: 'trace', command: trace, tour: traceTour },
  { name: 'web', command: web },
];
