export { UDP_ERROR_CODES, UdpError, isUdpError } from './errors.js';
export type { UdpErrorCode, UdpErrorOptions, UdpErrorReason } from './errors.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export {
  DEFAULT_GRACE_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_QUEUED_DATAGRAMS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_TTL_MS,
  createUdpServer,
} from './udp-server.js';
export type { UdpAddress, UdpCloseOptions, UdpServer, UdpServerEvent, UdpServerOptions, UdpServerStats } from './udp-server.js';
export { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_RETRIES, createUdpClient } from './udp-client.js';
export type { Correlate, CorrelationId, UdpClient, UdpClientOptions, UdpClientStats, UdpRequestOptions } from './udp-client.js';
