export { TCP_ERROR_CODES, TcpError, isTcpError } from './errors.js';
export type { TcpErrorCode, TcpErrorOptions, TcpErrorReason } from './errors.js';
// The clock and the backoff formula are the ground floor's (`@netlab/ground`), re-exported so
// this package's API is unchanged.
export { DEFAULT_BACKOFF_FACTOR, DEFAULT_BACKOFF_INITIAL_DELAY_MS, DEFAULT_BACKOFF_MAX_DELAY_MS, backoffDelay, systemClock } from '@netlab/ground';
export type { BackoffOptions, Clock } from '@netlab/ground';
export {
  DEFAULT_CLOSE_LINGER_MS,
  DEFAULT_COALESCE_BYTES,
  DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_GRACE_MS,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_QUIET_FLUSH_MS,
} from './tcp-server-options.js';
export type { TcpCloseOptions, TcpServer, TcpServerEvent, TcpServerOptions } from './tcp-server-options.js';
export { createTcpServer } from './tcp-server.js';
export type { TcpAddress } from './tcp-address.js';
export type { TcpServerStats } from './tcp-server-stats.js';
export { MAX_LINGER_PERIODS } from './connection-server.js';
export type { TcpConnectionStats } from './connection-server.js';
export {
  DEFAULT_CLIENT_CLOSE_TIMEOUT_MS,
  DEFAULT_CLIENT_MAX_OUTPUT_BYTES,
  DEFAULT_CLIENT_MAX_QUEUED_MESSAGES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './tcp-client-options.js';
export type { ConnectTcpOptions, RequestOptions, TcpClientStats } from './tcp-client-options.js';
export { connectTcp } from './tcp-client.js';
export type { TcpClient } from './tcp-client.js';
export { DEFAULT_MAX_RECONNECT_ATTEMPTS, createReconnectingTcpClient } from './reconnecting-tcp-client.js';
export type { ReconnectEvent, ReconnectingTcpClient, ReconnectingTcpClientOptions } from './reconnecting-tcp-client.js';
export {
  DEFAULT_MAX_TLS_HANDSHAKES,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_TLS_MIN_VERSION,
  certificateFingerprint,
  normalizeFingerprint,
} from './tls.js';
export type { TcpClientTlsOptions, TcpServerTlsOptions, TlsVersion } from './tls.js';
export { DEFAULT_CERTIFICATE_NAMES, DEFAULT_CERTIFICATE_VALID_DAYS, createSelfSignedCertificate } from './self-signed-certificate.js';
export type { SelfSignedCertificate, SelfSignedCertificateOptions } from './self-signed-certificate.js';
