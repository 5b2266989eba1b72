/**
 * The knock-knock protocol of the Oracle Java tutorial (KnockKnockProtocol.java), as a pure state
 * machine with the tutorial's exact strings.
 *
 *   WAITING         any input            → "Knock! Knock!"                                   → SENTKNOCKKNOCK
 *   SENTKNOCKKNOCK  "Who's there?"       → <clue>                                            → SENTCLUE
 *                   anything else        → You're supposed to say "Who's there?"! Try again. Knock! Knock!
 *   SENTCLUE        "<clue> who?"        → <answer> Want another? (y/n)                      → ANOTHER
 *                   anything else        → You're supposed to say "<clue> who?"! Try again. Knock! Knock!
 *                                                                                            → SENTKNOCKKNOCK
 *   ANOTHER         "y"                  → "Knock! Knock!", next joke (wrapping around)      → SENTKNOCKKNOCK
 *                   anything else        → "Bye."                                            → WAITING
 *
 * Matching follows Java's equalsIgnoreCase, made friendlier: surrounding whitespace is ignored
 * and a curly apostrophe (’ or ‘) counts as the straight one, since phones and word processors
 * type them.
 */
import { KnockKnockError } from './errors.js';
import { DEFAULT_JOKES, type Joke, validateJokes } from './jokes.js';

/** The protocol's states, named as in the tutorial. */
export type KnockKnockState = 'WAITING' | 'SENTKNOCKKNOCK' | 'SENTCLUE' | 'ANOTHER';

/** The opening line, and the answer to `y`. */
export const KNOCK_KNOCK = 'Knock! Knock!';
/** The last line; the server closes after sending it. */
export const BYE = 'Bye.';
/** The question the client must ask after `Knock! Knock!`. */
export const WHOS_THERE = "Who's there?";

export interface KnockKnockProtocolOptions {
  /** The jokes, told in order, wrapping around. Validated. Default {@link DEFAULT_JOKES}. */
  readonly jokes?: readonly Joke[];
}

/** One conversation's state machine. */
export interface KnockKnockProtocol {
  readonly state: KnockKnockState;
  /** Index of the current joke in the list. */
  readonly jokeIndex: number;
  /** Feeds one client line (`null` for the server's opening move) and returns the server's line. */
  processInput(input: string | null): string;
}

/** Lower-cases, trims and straightens curly apostrophes, so equal answers compare equal. */
function normalize(text: string): string {
  return text.trim().replace(/[\u2018\u2019]/gu, "'").toLowerCase();
}

/** Creates a protocol in state WAITING at the first joke. */
export function createKnockKnockProtocol(options: KnockKnockProtocolOptions = {}): KnockKnockProtocol {
  const jokes = options.jokes === undefined ? DEFAULT_JOKES : validateJokes(options.jokes);
  const first = jokes[0];
  if (first === undefined) throw new KnockKnockError('ERR_INVALID_JOKES', 'jokes must not be empty');
  let state: KnockKnockState = 'WAITING';
  let jokeIndex = 0;
  let current: Joke = first;

  return {
    get state() {
      return state;
    },
    get jokeIndex() {
      return jokeIndex;
    },
    processInput(input) {
      const said = normalize(input ?? '');
      switch (state) {
        case 'WAITING':
          state = 'SENTKNOCKKNOCK';
          return KNOCK_KNOCK;
        case 'SENTKNOCKKNOCK':
          if (said === normalize(WHOS_THERE)) {
            state = 'SENTCLUE';
            return current.clue;
          }
          return `You're supposed to say "${WHOS_THERE}"! Try again. ${KNOCK_KNOCK}`;
        case 'SENTCLUE':
          if (said === normalize(`${current.clue} who?`)) {
            state = 'ANOTHER';
            return `${current.answer} Want another? (y/n)`;
          }
          state = 'SENTKNOCKKNOCK';
          return `You're supposed to say "${current.clue} who?"! Try again. ${KNOCK_KNOCK}`;
        case 'ANOTHER':
          if (said === 'y') {
            jokeIndex = (jokeIndex + 1) % jokes.length;
            current = jokes[jokeIndex] ?? first;
            state = 'SENTKNOCKKNOCK';
            return KNOCK_KNOCK;
          }
          state = 'WAITING';
          return BYE;
      }
    },
  };
}
