/**
 * knock-knock (TCP): the server speaks first (`Knock! Knock!`), then answers each line through
 * the protocol's state machine, and closes after `Bye.`. Stateful: what a line means depends on
 * what the server said last and which joke it is on, kept per connection.
 */
import type { Service, Session } from '@netlab/service';
import { BYE, type KnockKnockProtocolOptions, createKnockKnockProtocol } from './knock-knock-protocol.js';
import { validateJokes } from './jokes.js';
import { malformedReply } from '@netlab/service';

/** Options of {@link createKnockKnockService}: the protocol's (the joke list). */
export type KnockKnockServiceOptions = KnockKnockProtocolOptions;

/** Creates the knock-knock service; a custom joke list is validated here, once. */
export function createKnockKnockService(options: KnockKnockServiceOptions = {}): Service<string, string> {
  const protocolOptions: KnockKnockProtocolOptions = options.jokes === undefined ? {} : { jokes: validateJokes(options.jokes) };
  return {
    name: 'knock-knock',
    open(_peer, ctx): Session<string, string> {
      const protocol = createKnockKnockProtocol(protocolOptions);
      ctx.send(protocol.processInput(null));
      return {
        receive(line) {
          const reply = protocol.processInput(line);
          if (reply !== BYE) return [reply];
          ctx.send(reply);
          ctx.close('joke session over');
          return [];
        },
      };
    },
    malformed: (error) => [malformedReply(error)],
  };
}
