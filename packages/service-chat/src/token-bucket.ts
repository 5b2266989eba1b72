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

class Bucket implements TokenBucket {
  constructor(
    private readonly options: TokenBucketOptions,
    public tokens: number,
    private last: number,
  ) {}

  take(nowMs: number): boolean {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.options.burst, this.tokens + ((nowMs - this.last) * this.options.rate) / 1000);
      this.last = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Creates a full bucket; `startMs` is the time its refill counts from. */
export function createTokenBucket(options: TokenBucketOptions, startMs: number): TokenBucket {
  return new Bucket(options, options.burst, startMs);
}
