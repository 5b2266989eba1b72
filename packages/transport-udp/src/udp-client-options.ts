/**
 * The options, defaults and counters of `createUdpClient` (its API, apart from the client in
 * `udp-client.ts`), and their validation.
 */
import type { DatagramCodec } from '@netlab/codec';
import { type Clock, MAX_TIMER_MS, type WireTap, systemClock } from '@netlab/ground';
import { assertIntegerOption } from './errors.js';

/** Default wait for a reply before resending: 1 s. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 1000;
/** Default resends after the first attempt: 2 (3 sends in all). */
export const DEFAULT_RETRIES = 2;
/** Default cap on outstanding (and, without `correlate`, waiting) requests: 256. */
export const DEFAULT_MAX_PENDING_REQUESTS = 256;

export type CorrelationId = string | number;

/** How to find the id that ties a reply to its request (structured protocols). */
export interface Correlate<In, Out> {
  /** The id of an outgoing request. */
  request(message: Out): CorrelationId;
  /** The id a reply answers, or undefined if it names none (then it is counted as stray). */
  reply(message: In): CorrelationId | undefined;
}

export interface UdpClientOptions<In, Out> {
  /** Message codec and datagram size limit. Required. */
  readonly codec: DatagramCodec<In, Out>;
  /** Server port. Required. */
  readonly port: number;
  /** Server host (`::1` for IPv6). Default {@link DEFAULT_HOST}. */
  readonly host?: string;
  /** Wait for a reply this long before resending. Default {@link DEFAULT_ATTEMPT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Resends after the first send. Default {@link DEFAULT_RETRIES}. */
  readonly retries?: number;
  /** Id-based correlation; without it, the plain-text rule applies. Default: none. */
  readonly correlate?: Correlate<In, Out>;
  /** Outstanding plus waiting requests (`ERR_TOO_MANY_PENDING` past it). Default {@link DEFAULT_MAX_PENDING_REQUESTS}. */
  readonly maxPendingRequests?: number;
  /** Clock for timeouts. Default `systemClock` from `@netlab/ground`. */
  readonly clock?: Clock;
  /** Reports every datagram sent and received (`--trace`). Default: the process tap (`@netlab/ground`), if set. */
  readonly tap?: WireTap;
}

export interface UdpRequestOptions {
  /** Overrides `timeoutMs` for this request. */
  readonly timeoutMs?: number;
  /** Overrides `retries` for this request. */
  readonly retries?: number;
}

export interface UdpClientStats {
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  /** Requests that got a reply. */
  readonly replies: number;
  /** Resends after a timeout. */
  readonly retransmissions: number;
  /** Requests that failed with `ERR_REQUEST_TIMEOUT`. */
  readonly timeouts: number;
  /** Late duplicates dropped under the plain-text rule. */
  readonly lateReplies: number;
  /** Datagrams that answered no request. */
  readonly stray: number;
  /** Datagrams the codec rejected. */
  readonly malformed: number;
}

/** The settings a client runs with (every default applied). */
export interface UdpClientSettings {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly maxPendingRequests: number;
  readonly clock: Clock;
}

/** Applies the defaults and checks every limit (throws `ERR_INVALID_OPTION`). */
export function resolveUdpClientSettings<In, Out>(options: UdpClientOptions<In, Out>): UdpClientSettings {
  const settings = {
    timeoutMs: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    retries: options.retries ?? DEFAULT_RETRIES,
    maxPendingRequests: options.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS,
    clock: options.clock ?? systemClock,
  };
  assertIntegerOption('port', options.port, 1, 65_535);
  assertIntegerOption('timeoutMs', settings.timeoutMs, 1, MAX_TIMER_MS);
  assertIntegerOption('retries', settings.retries, 0, 1000);
  assertIntegerOption('maxPendingRequests', settings.maxPendingRequests, 1, 1_000_000);
  return settings;
}
