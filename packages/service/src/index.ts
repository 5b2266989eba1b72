export type { CloseReason, Peer, Service, Session, SessionContext } from './contract.js';
export { SERVICE_ERROR_CODES, ServiceError, isServiceError } from './errors.js';
export type { ServiceErrorCode } from './errors.js';
export { DEFAULT_DRIVER_MAX_QUEUED, SessionDriver } from './session-driver.js';
export type { CloseMode, SessionActivity, SessionDriverOptions, SessionFailure, SessionHost, SessionPhase } from './session-driver.js';
export { connectLocal } from './local-connection.js';
export type { LocalConnection, LocalConnectionOptions } from './local-connection.js';
export { malformedReply } from './malformed-reply.js';
