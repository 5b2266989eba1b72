export { UDP_ERROR_CODES, UdpError, isUdpError } from './errors.js';
export type { UdpErrorCode, UdpErrorOptions, UdpErrorReason } from './errors.js';
// The clock is the ground floor's (`@netlab/ground`), re-exported so this package's API is unchanged.
export { systemClock } from '@netlab/ground';
export type { Clock } from '@netlab/ground';
export type { UdpAddress } from './udp-address.js';
export {
  DEFAULT_GRACE_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_QUEUED_DATAGRAMS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_TTL_MS,
  EVICTION_SCAN_LIMIT,
} from './udp-server-options.js';
export type { UdpCloseOptions, UdpServer, UdpServerEvent, UdpServerOptions, UdpServerStats } from './udp-server-options.js';
export { createUdpServer } from './udp-server.js';
export { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_RETRIES } from './udp-client-options.js';
export type { Correlate, CorrelationId, UdpClientOptions, UdpClientStats, UdpRequestOptions } from './udp-client-options.js';
export { createUdpClient } from './udp-client.js';
export type { UdpClient } from './udp-client.js';
export { DEFAULT_PEER_MAX_QUEUED_DATAGRAMS, connectUdp } from './udp-peer.js';
export type { ConnectUdpOptions, UdpDatagram, UdpPeer, UdpPeerStats } from './udp-peer.js';
