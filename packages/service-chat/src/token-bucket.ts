/**
 * A token bucket (flood control): it holds at most `burst` tokens, starts full, refills at `rate`
 * tokens per second, and each line costs one token. Time is passed in (milliseconds), so tests
 * and simulations control it; a clock that goes backwards adds nothing.
 */
export interface TokenBucket {
  /** Tokens available at the last `take` (fractional while refilling). */
  readonly tokens: number;
  /** Takes one token at time `nowMs`; false (and nothing taken) when the bucket is empty. */
  take(nowMs: number): boolean;
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly rate: number;
  /** Capacity, and the tokens at the start. */
  readonly burst: number;
}

/** Creates a full bucket; `startMs` is the time its refill counts from. */
export function createTokenBucket(options: TokenBucketOptions, startMs: number): TokenBucket {
  let tokens = options.burst;
  let last = startMs;
  return {
    get tokens() {
      return tokens;
    },
    take(nowMs) {
      if (nowMs > last) {
        tokens = Math.min(options.burst, tokens + ((nowMs - last) * options.rate) / 1000);
        last = nowMs;
      }
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
