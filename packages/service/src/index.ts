export type { CloseReason, Peer, Service, Session, SessionContext } from './contract.js';
export { connectLocal } from './local-connection.js';
export type { LocalConnection, LocalConnectionOptions } from './local-connection.js';
export { malformedReply } from './malformed-reply.js';
