export { GROUND_ERROR_CODES, GroundError, isGroundError } from './errors.js';
export type { GroundErrorCode, GroundErrorOptions } from './errors.js';
export { MAX_TIMER_MS, keepAliveClock, systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { DEFAULT_MAX_MANUAL_TIMERS, createManualClock } from './manual-clock.js';
export type { ManualClock, ManualClockOptions } from './manual-clock.js';
export { DEFAULT_HOST, formatHostPort } from './host-port.js';
export { ERRNO_CODES, TRANSPORT_ERROR_CODES, describeSocketError, errnoOf } from './socket-errors.js';
export type { SocketErrorDescription, TransportErrorCode } from './socket-errors.js';
export { isPromiseLike } from './promise.js';
export { checkInteger } from './range-check.js';
export type { RangeProblem } from './range-check.js';
export {
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_BACKOFF_INITIAL_DELAY_MS,
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_BACKOFF_MAX_DELAY_MS,
  backoffDelay,
} from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { createPrng } from './prng.js';
export type { Prng } from './prng.js';
export { resolveNetServerOptions, startOnce, withinGrace } from './server-lifecycle.js';
export type { ErrorEmitter, NetServer, NetServerOptions, ServerCloseOptions } from './server-lifecycle.js';
export { processWireTap, setProcessWireTap, wireEndpoint } from './wire-tap.js';
export type { WireDirection, WireEndpoint, WireFault, WireFlow, WireFlowOptions, WireTap } from './wire-tap.js';
