/**
 * Channels over one transport: each `connect()` makes a new `@netlab/request-log` client (a new
 * client id) whose envelopes go out through the shared `send`; replies from the transport are
 * routed to the client they name. This is what an ATM needs, since it takes a fresh client id
 * for every login (see `atm-service.ts`), while keeping one TCP connection or UDP socket.
 *
 * Bounded: a closed channel's client is dropped at once; at most `maxChannels` are open (an ATM
 * needs one, plus one while it logs in again), and opening one more closes the oldest.
 */
import { randomUUID } from 'node:crypto';
import { type Client, type ClientOptions, type ReplyEnvelope, type RequestEnvelope, createClient } from '@netlab/request-log';
import type { AtmChannel } from './atm-client.js';
import { assertIntegerOption } from './errors.js';

/** Default channels open at once: 4. */
export const DEFAULT_MAX_CHANNELS = 4;

export interface AtmChannelsOptions extends Omit<ClientOptions, 'send' | 'clientId' | 'outbox'> {
  /** Transmits one envelope of any channel (fire and forget). Required. */
  readonly send: (request: RequestEnvelope) => void;
  /** Makes a new client id. Default: a random UUID. */
  readonly newClientId?: () => string;
  /** Channels open at once. Default {@link DEFAULT_MAX_CHANNELS}. */
  readonly maxChannels?: number;
}

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
  const { send, newClientId = randomUUID, maxChannels = DEFAULT_MAX_CHANNELS, ...clientOptions } = options;
  assertIntegerOption('maxChannels', maxChannels, 1, 1_000);
  const channels = new Map<string, OpenAtmChannel>();
  return {
    connect() {
      if (channels.size >= maxChannels) {
        const oldest = channels.values().next();
        if (oldest.done !== true) oldest.value.close();
      }
      const client = createClient({ ...clientOptions, clientId: newClientId(), send });
      const channel: OpenAtmChannel = {
        client,
        call: (request) => client.call(request),
        authenticate: (key) => {
          client.authenticate(key);
        },
        close: () => {
          client.close();
          channels.delete(client.clientId);
        },
      };
      channels.set(client.clientId, channel);
      return channel;
    },
    receive(reply) {
      channels.get(reply.clientId)?.client.receive(reply);
    },
    resend() {
      for (const channel of channels.values()) channel.client.resend();
    },
    get open() {
      return [...channels.values()];
    },
    close() {
      for (const channel of [...channels.values()]) channel.close();
    },
  };
}
