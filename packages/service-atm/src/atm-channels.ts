/**
 * Channels over one transport, for the ATM: `createClientChannels` of `@netlab/request-log`
 * (each `connect()` a new client id, replies routed by client id, at most `maxChannels` open),
 * typed as the `AtmChannel`s `createAtmClient` takes. The ATM needs one channel per login attempt,
 * since the bank binds a session to the client id that opened it (see `atm-service.ts`), while
 * keeping one TCP connection or UDP socket.
 */
import { type Client, type ClientChannelsOptions, type ReplyEnvelope, DEFAULT_MAX_CHANNELS, createClientChannels } from '@netlab/request-log';
import type { AtmChannel } from './atm-client.js';
import { assertIntegerOption } from './errors.js';

/** Default channels open at once: 4 (`DEFAULT_MAX_CHANNELS` of `@netlab/request-log`). An ATM needs one, plus one while it logs in again. */
export { DEFAULT_MAX_CHANNELS };

/** `ClientChannelsOptions` of `@netlab/request-log`; an invalid `maxChannels` is an `AtmError` here. */
export type AtmChannelsOptions = ClientChannelsOptions;

/** A channel with its request-log client (for stats and tests). */
export interface OpenAtmChannel extends AtmChannel {
  readonly client: Client;
}

export interface AtmChannels {
  /** Opens a channel with a new client id. */
  connect(): OpenAtmChannel;
  /** Feeds one reply from the transport to the channel it names (others are ignored). */
  receive(reply: ReplyEnvelope): void;
  /** Resends every open channel's outstanding requests (after a reconnect). */
  resend(): void;
  /** Open channels. */
  readonly open: readonly OpenAtmChannel[];
  /** Closes every channel. */
  close(): void;
}

/** Creates channels over one transport (see the module comment). */
export function createAtmChannels(options: AtmChannelsOptions): AtmChannels {
  assertIntegerOption('maxChannels', options.maxChannels ?? DEFAULT_MAX_CHANNELS, 1, 1_000);
  return createClientChannels(options);
}
