export { TCP_ERROR_CODES, TcpError, isTcpError } from './errors.js';
export type { TcpErrorCode, TcpErrorOptions, TcpErrorReason } from './errors.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export {
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_BACKOFF_INITIAL_DELAY_MS,
  DEFAULT_BACKOFF_MAX_DELAY_MS,
  backoffDelay,
} from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export {
  DEFAULT_CLOSE_LINGER_MS,
  DEFAULT_COALESCE_BYTES,
  DEFAULT_GRACE_MS,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_QUIET_FLUSH_MS,
  createTcpServer,
} from './tcp-server.js';
export type { TcpAddress, TcpCloseOptions, TcpServer, TcpServerEvent, TcpServerOptions, TcpServerStats } from './tcp-server.js';
export type { TcpConnectionStats } from './server-connection.js';
export {
  DEFAULT_CLIENT_MAX_QUEUED_MESSAGES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  connectTcp,
} from './tcp-client.js';
export type { ConnectTcpOptions, RequestOptions, TcpClient, TcpClientStats } from './tcp-client.js';
export { DEFAULT_MAX_RECONNECT_ATTEMPTS, createReconnectingTcpClient } from './reconnecting-tcp-client.js';
export type { ReconnectEvent, ReconnectingTcpClient, ReconnectingTcpClientOptions } from './reconnecting-tcp-client.js';
