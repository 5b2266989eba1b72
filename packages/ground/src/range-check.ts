/**
 * The one range check for integer options. It returns a description of the problem instead of
 * throwing, so each package wraps it in its own error class and code (`TcpError`,
 * `CodecError`, ... with `ERR_INVALID_OPTION`) and the message reads the same everywhere.
 */

/** What is wrong with an option value. */
export interface RangeProblem {
  /** `port must be an integer from 0 to 65535, got 70000`. */
  readonly message: string;
  readonly details: { readonly option: string; readonly value: number; readonly min: number; readonly max: number };
}

/** Undefined when `value` is an integer in [min, max]; otherwise what is wrong with it. */
export function checkInteger(name: string, value: number, min: number, max: number): RangeProblem | undefined {
  if (Number.isInteger(value) && value >= min && value <= max) return undefined;
  return {
    message: `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    details: { option: name, value, min, max },
  };
}
