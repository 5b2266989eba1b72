/**
 * calculator (TCP): a named arithmetic session.
 *
 *   state NAMING:  first line = the client's name → `Hello, <name>`            → READY
 *                  a bad name → `ERROR invalid name` / `ERROR name too long (max <n> characters)`, stay
 *   state READY:   `<number> <op> <number>` → the result, or `ERROR <reason>` (see expression.ts)
 *   any state:     `q` → `Session ended`, then the server closes
 *
 * Names: surrounding whitespace is trimmed; then 1 to `maxNameLength` characters (Unicode code
 * points), none of them a control character. `q` and `Q` (trimmed) always end the session, so
 * they cannot be names. Every request, its answer and the end of the session are logged with the
 * name. Stateful: the name given on the first line attributes every later request.
 */
import type { Service, Session } from '@netlab/service';
import { assertIntegerOption } from './errors.js';
import {
  DEFAULT_MAX_OPERAND_DIGITS,
  DEFAULT_MAX_RESULT_DIGITS,
  DEFAULT_SIGNIFICANT_DIGITS,
  type ExpressionOptions,
  calculate,
} from './expression.js';
import { malformedReply } from '@netlab/service';

/** Most characters (code points) in a client's name. */
export const DEFAULT_MAX_NAME_LENGTH = 64;
/** Characters of a request quoted in one log line; the rest is elided. */
const LOG_EXCERPT = 200;

export interface CalculatorServiceOptions extends ExpressionOptions {
  /** Most characters (code points) in a name, at least 1. Default {@link DEFAULT_MAX_NAME_LENGTH}. */
  readonly maxNameLength?: number;
}

/** Why a name was refused (the text after `ERROR `), or undefined when it is acceptable. */
export function checkName(name: string, maxNameLength: number = DEFAULT_MAX_NAME_LENGTH): string | undefined {
  if (name === '') return 'invalid name';
  let length = 0;
  for (const char of name) {
    const c = char.codePointAt(0) ?? 0;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 'invalid name';
    length++;
  }
  return length > maxNameLength ? `name too long (max ${maxNameLength} characters)` : undefined;
}

/** JSON-quotes text for a log line, so control characters cannot reach a terminal. */
const quote = (text: string): string => JSON.stringify(text.length > LOG_EXCERPT ? `${text.slice(0, LOG_EXCERPT)}…` : text);

/** Creates the calculator service; each connection is an independent session. */
export function createCalculatorService(options: CalculatorServiceOptions = {}): Service<string, string> {
  const maxNameLength = options.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH;
  const expressionOptions: Required<ExpressionOptions> = {
    maxOperandDigits: options.maxOperandDigits ?? DEFAULT_MAX_OPERAND_DIGITS,
    significantDigits: options.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS,
    maxResultDigits: options.maxResultDigits ?? DEFAULT_MAX_RESULT_DIGITS,
  };
  assertIntegerOption('maxNameLength', maxNameLength, 1, 1024);
  assertIntegerOption('maxOperandDigits', expressionOptions.maxOperandDigits, 1, 10_000);
  assertIntegerOption('significantDigits', expressionOptions.significantDigits, 1, 1000);
  assertIntegerOption('maxResultDigits', expressionOptions.maxResultDigits, 1, 100_000);

  return {
    name: 'calculator',
    open(_peer, ctx): Session<string, string> {
      let name: string | undefined;
      let ended = false;
      const who = (): string => quote(name ?? '(unnamed)');
      return {
        receive(line) {
          const text = line.trim();
          if (text === 'q' || text === 'Q') {
            ended = true;
            ctx.log(`${who()}: Session ended`);
            ctx.send('Session ended');
            ctx.close('client quit');
            return [];
          }
          if (name === undefined) {
            const problem = checkName(text, maxNameLength);
            if (problem !== undefined) return [`ERROR ${problem}`];
            name = text;
            ctx.log(`${who()}: session started`);
            return [`Hello, ${name}`];
          }
          const reply = calculate(line, expressionOptions);
          ctx.log(`${who()}: ${quote(line)} → ${reply}`);
          return [reply];
        },
        close(reason) {
          if (!ended) ctx.log(`${who()}: connection closed (${reason.kind}) without q`);
        },
      };
    },
    malformed: (error) => [malformedReply(error)],
  };
}
