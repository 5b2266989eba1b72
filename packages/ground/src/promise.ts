/**
 * True when `value` is a thenable. Service code may return plain arrays or promises from the same
 * method (a sync fast path beside an async one); this is how callers tell them apart without
 * wrapping every result in a promise.
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}
