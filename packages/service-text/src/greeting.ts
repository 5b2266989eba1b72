/**
 * greeting (TCP): the server speaks once and hangs up.
 *
 * Wire format: on connect the server sends one line, `Thank you for connecting`, then closes the
 * connection after the line is written. Anything the client sends is ignored.
 * Stateless: nothing survives the one line, so there is nothing to remember.
 */
import type { Service, Session } from '@netlab/service';
import { assertLineOption } from './errors.js';
import { malformedReply } from '@netlab/service';

/** The line a greeting server sends on connect. */
export const DEFAULT_GREETING = 'Thank you for connecting';

export interface GreetingServiceOptions {
  /** The line sent on connect (no CR or LF). Default {@link DEFAULT_GREETING}. */
  readonly greeting?: string;
}

/** Creates the greeting service: send one line on connect, then close. */
export function createGreetingService(options: GreetingServiceOptions = {}): Service<string, string> {
  const greeting = options.greeting ?? DEFAULT_GREETING;
  assertLineOption('greeting', greeting);
  return {
    name: 'greeting',
    open(_peer, ctx): Session<string, string> {
      ctx.send(greeting);
      ctx.close('greeting sent');
      // A transport may still deliver bytes that raced with the close: they get no answer.
      return { receive: () => [] };
    },
    malformed: (error) => [malformedReply(error)],
  };
}
