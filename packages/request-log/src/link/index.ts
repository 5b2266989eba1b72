export { DEFAULT_RECONNECT_INITIAL_MS, DEFAULT_RECONNECT_MAX_MS, DEFAULT_UNKNOWN_RETRIES, createClientLink, observedLoss } from './client-link.js';
export type { ClientLink, ClientLinkOptions, LinkChannel, LinkEvent, LinkStats } from './client-link.js';
export type { LinkEndpoint } from './link-transport.js';
