/**
 * What `netlab chat server` runs, composed in one place so the socket benchmark measures exactly
 * the same stack: the chat service (one room), the line codec, and the transport limits that
 * protect the room.
 *
 * Send batching is the transport's write coalescing: everything one member is sent during one
 * event-loop turn goes out in one write (early at the transport's `coalesceBytes`, 16 KiB by
 * default), so a line to 1,000 members costs 1,000 writes per turn, not per line.
 *
 * Limits and where they live:
 * - members: the service (`ERROR room full`); connections: members + {@link LOGIN_HEADROOM}
 *   (the transport refuses the rest with `ERROR server full`);
 * - flood: the service's token bucket per connection;
 * - message length: the service (`ERROR message too long`, the member stays); line length: the
 *   framing (`ERROR line too long`, the connection closes: the stream can no longer be trusted);
 * - send queue: the transport's `maxOutputBytes` per connection; past it nothing more is queued
 *   for the member, what was queued (whole lines) is still written, then `ERROR send queue
 *   exceeded`, and the connection ends ("SendQ exceeded" in the server log); the room sees it leave;
 * - login: a connection must send its first line (a name) within {@link DEFAULT_CHAT_LOGIN_TIMEOUT_MS}
 *   (the transport's first-message deadline), so connections that never pick a name cannot fill
 *   the login headroom and lock the room;
 * - idle: the transport's idle timeout counts only lines a member sends, so the default is long
 *   (a person may read for a long time without typing).
 */
import { type StreamCodec, createLineCodec } from '@netlab/codec';
import type { Service } from '@netlab/service';
import {
  type ChatService,
  DEFAULT_FLOOD_BURST,
  DEFAULT_FLOOD_RATE,
  DEFAULT_MAX_MEMBERS,
  DEFAULT_MAX_MESSAGE_BYTES,
  createChatService,
} from '@netlab/service-chat';
import { DEFAULT_MAX_OUTPUT_BYTES, type TcpServerOptions } from '@netlab/transport-tcp';

/** Longest line the framing accepts, in bytes (the service's message cap is lower). */
export const DEFAULT_MAX_LINE_BYTES = 8192;
/** Bytes queued for one member before it is disconnected (the transport's `maxOutputBytes`). */
export const DEFAULT_SEND_QUEUE_BYTES = DEFAULT_MAX_OUTPUT_BYTES;
/** A member who sends nothing for this long is disconnected: 1 hour. */
export const DEFAULT_CHAT_IDLE_TIMEOUT_MS = 3_600_000;
/** A connection that sends no first line (a name) within this long is disconnected: 30 s. */
export const DEFAULT_CHAT_LOGIN_TIMEOUT_MS = 30_000;
/** The last line a member dropped for a full send queue receives. */
export const SEND_QUEUE_EXCEEDED_LINE = 'ERROR send queue exceeded';
/** Connections beyond the member limit, for people still choosing a name. */
export const LOGIN_HEADROOM = 64;

export interface ChatRoomOptions {
  /** Most members at once. Default {@link DEFAULT_MAX_MEMBERS} (1000). */
  readonly maxMembers?: number;
  /** Lines per second a member may sustain. Default {@link DEFAULT_FLOOD_RATE} (5). */
  readonly floodRate?: number;
  /** Lines a member may send at once. Default {@link DEFAULT_FLOOD_BURST} (10). */
  readonly floodBurst?: number;
  /** Longest message a member may type, in UTF-8 bytes. Default {@link DEFAULT_MAX_MESSAGE_BYTES} (1024). */
  readonly maxMessageBytes?: number;
  /** Longest line the framing reads, in bytes. Default {@link DEFAULT_MAX_LINE_BYTES}. */
  readonly maxLineBytes?: number;
  /** Output queued for one member before it is disconnected. Default {@link DEFAULT_SEND_QUEUE_BYTES}. */
  readonly sendQueueBytes?: number;
  /** Disconnect a member silent for this long; 0 = never. Default {@link DEFAULT_CHAT_IDLE_TIMEOUT_MS}. */
  readonly idleTimeoutMs?: number;
  /** Disconnect a connection that sends no first line within this long; 0 = never. Default {@link DEFAULT_CHAT_LOGIN_TIMEOUT_MS}. */
  readonly loginTimeoutMs?: number;
}

/** The pieces a TCP server needs to run the room. */
export interface ChatRoom {
  /** The room itself, for counts and names. */
  readonly room: ChatService;
  readonly service: Service<string, string>;
  readonly codec: StreamCodec<string, string>;
  /** Transport options (limits) to pass to `createTcpServer` / `serveTcp`. */
  readonly tcp: Pick<TcpServerOptions<string, string>, 'maxConnections' | 'maxOutputBytes' | 'idleTimeoutMs' | 'firstMessageTimeoutMs' | 'busyReply' | 'overflowReply'>;
}

/** Composes one chat room (throws the service's or codec's `ERR_INVALID_OPTION` on a bad limit). */
export function createChatRoom(options: ChatRoomOptions = {}): ChatRoom {
  const maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS;
  const room = createChatService({
    maxMembers,
    floodRate: options.floodRate ?? DEFAULT_FLOOD_RATE,
    floodBurst: options.floodBurst ?? DEFAULT_FLOOD_BURST,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  });
  return {
    room,
    service: room,
    codec: createLineCodec({ maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES }),
    tcp: {
      maxConnections: maxMembers + LOGIN_HEADROOM,
      maxOutputBytes: options.sendQueueBytes ?? DEFAULT_SEND_QUEUE_BYTES,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_CHAT_IDLE_TIMEOUT_MS,
      firstMessageTimeoutMs: options.loginTimeoutMs ?? DEFAULT_CHAT_LOGIN_TIMEOUT_MS,
      busyReply: 'ERROR server full',
      overflowReply: SEND_QUEUE_EXCEEDED_LINE,
    },
  };
}
