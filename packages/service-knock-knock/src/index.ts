export { KNOCK_KNOCK_ERROR_CODES, KnockKnockError } from './errors.js';
export type { KnockKnockErrorCode } from './errors.js';
export { DEFAULT_JOKES, MAX_JOKES, MAX_JOKE_TEXT_LENGTH, validateJokes } from './jokes.js';
export type { Joke } from './jokes.js';
export { BYE, KNOCK_KNOCK, WHOS_THERE, createKnockKnockProtocol } from './knock-knock-protocol.js';
export type { KnockKnockProtocol, KnockKnockProtocolOptions, KnockKnockState } from './knock-knock-protocol.js';
export { createKnockKnockService } from './knock-knock-service.js';
export type { KnockKnockServiceOptions } from './knock-knock-service.js';
