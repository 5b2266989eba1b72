/**
 * Token buckets for requests that prove no authority (logins, and anything that fails
 * authentication or validation): one bucket per peer address and one shared by all peers, so
 * neither one client nor many (spoofed UDP sources) can push more than a fixed rate of them at
 * the store. Requests from authenticated sessions never draw from them.
 *
 * Bounded: at most `maxPeers` buckets are kept; when a new address arrives beyond that, the least
 * recently used bucket is dropped (a dropped address starts again with a full bucket, which the
 * shared bucket still caps). Time comes from the caller, in ms.
 */
import { assertIntegerOption } from './errors.js';

/** A bucket's size and refill. */
export interface RateLimit {
  /** Requests allowed at once (the bucket's size). */
  readonly burst: number;
  /** Requests per second refilled. */
  readonly perSecond: number;
}

/**
 * Default per peer address: 100 at once, 20 per second (a lab runs every ATM from 127.0.0.1, and
 * an ATM fleet behind NAT shares one address too).
 */
export const DEFAULT_PEER_RATE_LIMIT: RateLimit = { burst: 100, perSecond: 20 };
/** Default for all peers together: 500 at once, 100 per second. */
export const DEFAULT_TOTAL_RATE_LIMIT: RateLimit = { burst: 500, perSecond: 100 };
/** Default number of peer addresses tracked: 4096. */
export const DEFAULT_MAX_RATE_LIMITED_PEERS = 4_096;

export interface RateLimiterOptions {
  /** Per peer address. Default {@link DEFAULT_PEER_RATE_LIMIT}. */
  readonly perPeer?: RateLimit;
  /** All peers together. Default {@link DEFAULT_TOTAL_RATE_LIMIT}. */
  readonly total?: RateLimit;
  /** Peer buckets kept at most. Default {@link DEFAULT_MAX_RATE_LIMITED_PEERS}. */
  readonly maxPeers?: number;
}

export interface RateLimiter {
  /** Takes one token from `peer`'s bucket and the shared one; false (and nothing taken) when either is empty. */
  take(peer: string, now: number): boolean;
  /** Buckets currently kept (for tests). */
  readonly peers: number;
}

class Bucket {
  tokens: number;
  at: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.at = now;
  }

  refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.at) / 1000) * this.limit.perSecond);
      this.at = now;
    }
  }
}

function checkLimit(name: string, limit: RateLimit): void {
  assertIntegerOption(`${name}.burst`, limit.burst, 1, 1_000_000);
  assertIntegerOption(`${name}.perSecond`, limit.perSecond, 1, 1_000_000);
}

/** Creates a rate limiter (see the module comment). */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const perPeer = options.perPeer ?? DEFAULT_PEER_RATE_LIMIT;
  const total = options.total ?? DEFAULT_TOTAL_RATE_LIMIT;
  const maxPeers = options.maxPeers ?? DEFAULT_MAX_RATE_LIMITED_PEERS;
  checkLimit('perPeer', perPeer);
  checkLimit('total', total);
  assertIntegerOption('maxPeers', maxPeers, 1, 10_000_000);
  const buckets = new Map<string, Bucket>();
  let shared: Bucket | undefined;
  return {
    get peers() {
      return buckets.size;
    },
    take(peer, now) {
      shared ??= new Bucket(total, now);
      let bucket = buckets.get(peer);
      if (bucket === undefined) {
        bucket = new Bucket(perPeer, now);
        if (buckets.size >= maxPeers) {
          const oldest = buckets.keys().next();
          if (oldest.done !== true) buckets.delete(oldest.value);
        }
      } else {
        buckets.delete(peer); // re-inserted below: the map's order is least recently used first
      }
      buckets.set(peer, bucket);
      bucket.refill(now);
      shared.refill(now);
      if (bucket.tokens < 1 || shared.tokens < 1) return false;
      bucket.tokens--;
      shared.tokens--;
      return true;
    },
  };
}
