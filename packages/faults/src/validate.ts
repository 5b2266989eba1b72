import { FaultError } from './errors.js';

/**
 * Throws ERR_INVALID_OPTION unless `value` is a probability in [0, 1] (or [0, 1) when
 * `excludeOne`: a correlation of exactly 1 would freeze a Markov chain in its first state).
 */
export function checkProbability(name: string, value: number, excludeOne = false): number {
  if (!(value >= 0 && (excludeOne ? value < 1 : value <= 1))) {
    const range = excludeOne ? 'from 0 to below 1' : 'from 0 to 1';
    throw new FaultError('ERR_INVALID_OPTION', `${name} must be a probability ${range}, got ${String(value)}`, {
      details: { option: name, value },
    });
  }
  return value;
}

/** Throws ERR_INVALID_OPTION unless `value` is a finite number in [min, max]. */
export function checkNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new FaultError('ERR_INVALID_OPTION', `${name} must be a number from ${min} to ${max}, got ${String(value)}`, {
      details: { option: name, value, min, max },
    });
  }
  return value;
}

/** Throws ERR_INVALID_OPTION unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FaultError('ERR_INVALID_OPTION', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`, {
      details: { option: name, value, min, max },
    });
  }
  return value;
}
