export { WS_ERROR_CODES, WsError, isWsError } from './errors.js';
export type { WsErrorCode, WsErrorOptions, WsErrorReason } from './errors.js';
export { DEFAULT_WS_MAX_MESSAGE_BYTES, MAX_WS_MESSAGE_BYTES_LIMIT, createWsDatagramCodec, createWsMessageCodec, createWsTextCodec } from './ws-codec.js';
export type { WsCodec, WsMessageCodecOptions, WsTextCodecOptions } from './ws-codec.js';
export { MAX_CLOSE_REASON_BYTES, WS_CLOSE_CODES, closeCodeOf } from './close-codes.js';
export {
  DEFAULT_WS_CLOSE_LINGER_MS,
  DEFAULT_WS_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_WS_GRACE_MS,
  DEFAULT_WS_HIGH_WATER_BYTES,
  DEFAULT_WS_IDLE_TIMEOUT_MS,
  DEFAULT_WS_MAX_CONNECTIONS,
  DEFAULT_WS_MAX_OUTPUT_BYTES,
  DEFAULT_WS_MAX_QUEUED_MESSAGES,
  createWsServer,
} from './ws-server.js';
export type { WsAddress, WsCloseOptions, WsServer, WsServerEvent, WsServerOptions } from './ws-server.js';
export type { WsServerStats } from './ws-server-stats.js';
export type { WsConnectionStats } from './ws-connection.js';
export {
  DEFAULT_WS_CLIENT_MAX_QUEUED_MESSAGES,
  DEFAULT_WS_CONNECT_TIMEOUT_MS,
  DEFAULT_WS_MAX_PENDING_REQUESTS,
  DEFAULT_WS_REQUEST_TIMEOUT_MS,
  connectWs,
} from './ws-client.js';
export type { ConnectWsOptions, WsClient, WsCloseInfo } from './ws-client.js';
