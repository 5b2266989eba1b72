/**
 * Correlated packet loss as a two-state Gilbert model (the simple Gilbert model of netem's
 * `loss gemodel p r`, with 1-h = 1 and 1-k = 0: every packet in the Bad state is lost, none in
 * the Good state is).
 *
 * Users think in two numbers, a loss rate P and a correlation C (netem's `loss P C` syntax), so
 * the chain is parametrised from them:
 *
 *   p = P (1 − C)        probability Good → Bad
 *   r = (1 − P)(1 − C)   probability Bad → Good
 *
 * Then the long-run loss rate is p / (p + r) = P exactly, the lag-1 correlation of the loss
 * indicator is 1 − p − r = C, and the mean burst of consecutive losses is 1 / r packets.
 * C = 0 gives independent (Bernoulli) loss with rate P. C must stay below 1, where the chain
 * would never leave its first state. Unlike netem's older `loss P C` (which is known not to
 * keep the rate at P), this model keeps the rate and the correlation both as asked.
 */
import type { Prng } from './prng.js';
import { checkProbability } from './validate.js';

export interface LossModel {
  /** Decides the fate of the next packet: true = lost. Consumes exactly one random draw. */
  lose(): boolean;
  /** Mean length of a run of consecutive losses (1 / r), Infinity when P = 1. */
  readonly meanBurstLength: number;
}

/** Creates the loss chain for rate `rate` (P) and `correlation` (C), drawing from `prng`. */
export function createLossModel(rate: number, correlation: number, prng: Prng): LossModel {
  checkProbability('loss', rate);
  checkProbability('lossCorrelation', correlation, true);
  const goodToBad = rate * (1 - correlation);
  const badToGood = (1 - rate) * (1 - correlation);
  let bad = false;
  return {
    lose() {
      if (rate === 0) return false;
      const u = prng.next();
      bad = bad ? u >= badToGood : u < goodToBad;
      return bad;
    },
    meanBurstLength: badToGood === 0 ? Number.POSITIVE_INFINITY : 1 / badToGood,
  };
}
