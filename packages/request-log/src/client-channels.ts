/**
 * Channels over one transport: each `connect()` makes a new client (a new client id) whose
 * envelopes go out through the shared `send`; replies from the transport are routed to the client
 * they name. For a protocol that takes a fresh client id per conversation (the ATM takes one per
 * login: a session is bound to the client id that opened it) while keeping one TCP connection or
 * UDP socket.
 *
 * Bounded: a closed channel's client is dropped at once; at most `maxChannels` are open, and
 * opening one more closes the oldest (its outstanding calls reject with `ERR_CLOSED`).
 */
import { randomUUID } from 'node:crypto';
import { type Client, type ClientOptions, createClient } from './client.js';
import type { JsonValue } from './core/canonical-json.js';
import type { ReplyEnvelope, RequestEnvelope } from './core/messages.js';
import { assertIntegerOption } from './errors.js';

/** Default channels open at once: 4. */
export const DEFAULT_MAX_CHANNELS = 4;

export interface ClientChannelsOptions extends Omit<ClientOptions, 'send' | 'clientId' | 'outbox'> {
  /** Transmits one envelope of any channel (fire and forget). Required. */
  readonly send: (request: RequestEnvelope) => void;
  /** Makes a new client id. Default: a random UUID. */
  readonly newClientId?: () => string;
  /** Channels open at once (1 to 1,000). Default {@link DEFAULT_MAX_CHANNELS}. */
  readonly maxChannels?: number;
}

/** One channel: a client with its own id, sharing the transport. */
export interface ClientChannel {
  readonly client: Client;
  /** `client.call`. */
  call(payload: JsonValue): Promise<JsonValue>;
  /** `client.authenticate`: every envelope of this channel from now on carries its MAC under `key`. */
  authenticate(key: Uint8Array | undefined): void;
  /** Closes the client and forgets the channel (its id is never used again). Idempotent. */
  close(): void;
}

export interface ClientChannels {
  /** Opens a channel with a new client id (closing the oldest when `maxChannels` are open). */
  connect(): ClientChannel;
  /** Feeds one reply from the transport to the channel it names (others are ignored). */
  receive(reply: ReplyEnvelope): void;
  /** Resends every open channel's outstanding requests (after a reconnect or a failover). */
  resend(): void;
  /** Open channels, oldest first. */
  readonly open: readonly ClientChannel[];
  /** Closes every channel. */
  close(): void;
}

/** Creates channels over one transport (see the module comment). */
export function createClientChannels(options: ClientChannelsOptions): ClientChannels {
  const { send, newClientId = randomUUID, maxChannels = DEFAULT_MAX_CHANNELS, ...clientOptions } = options;
  assertIntegerOption('maxChannels', maxChannels, 1, 1_000);
  const channels = new Map<string, ClientChannel>();
  return {
    connect() {
      if (channels.size >= maxChannels) {
        const oldest = channels.values().next();
        if (oldest.done !== true) oldest.value.close();
      }
      const client = createClient({ ...clientOptions, clientId: newClientId(), send });
      const channel: ClientChannel = {
        client,
        call: (payload) => client.call(payload),
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
