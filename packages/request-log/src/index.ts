export { MAX_JSON_DEPTH, canonicalJson } from './core/canonical-json.js';
export type { JsonValue } from './core/canonical-json.js';
export { MAX_DIFF_FIELDS, diffPayloads, fingerprint, fingerprintCanonical } from './core/fingerprint.js';
export { decide } from './core/decide.js';
export { ENVELOPE_MAC_CONTEXT, envelopeMacInput, macEnvelope, verifyEnvelopeMac } from './core/envelope-mac.js';
export type { MacFields } from './core/envelope-mac.js';
export type { ClientRow, CompletionRecord, Decision, LoggedRequest } from './core/decide.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  MAX_CLIENT_ID_LENGTH,
  REPLY_ERROR_CODES,
  replyEnvelopeSchema,
  requestEnvelopeSchema,
} from './core/messages.js';
export type { DoneReply, ErrorReply, ReplyBody, ReplyEnvelope, ReplyErrorCode, RequestEnvelope } from './core/messages.js';
export { MAX_FAILURE_MESSAGE_LENGTH, failureBody, parseReplyBody, successBody } from './core/reply-body.js';
export { outcomeWithoutEffect } from './core/store.js';
export type { EffectContext, ReadOnlyDecision, RequestLogStore, StoreCounts, StoreExecuteOptions, StoreOutcome } from './core/store.js';
export {
  ClientCore,
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_CLIENT_MAX_IN_FLIGHT,
  DEFAULT_GIVE_UP_AFTER_MS,
  DEFAULT_INITIAL_RETRANSMIT_MS,
  DEFAULT_JITTER,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RETRANSMIT_MS,
  createClientCore,
} from './core/client-core.js';
export type { ClientCoreOptions, ClientCoreStats, ClientEvent, ClientOutput, ClientSnapshot, OutboxEntry } from './core/client-core.js';
export {
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_PENDING,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
  createRequestLog,
} from './request-log.js';
export type { RequestLog, RequestLogOptions, RequestLogStats } from './request-log.js';
export { createMemoryStore, createMemoryStoreState } from './memory-store.js';
export type { MemoryEffect, MemoryStore, MemoryStoreOptions, MemoryStoreState, MemoryTx } from './memory-store.js';
export { createMemoryOutbox } from './outbox.js';
export type { MemoryOutbox, MemoryOutboxOptions, MemoryOutboxState, Outbox, OutboxChange } from './outbox.js';
export { createClient, systemClientClock } from './client.js';
export type { Client, ClientClock, ClientOptions, RecoveredCall } from './client.js';
export { DEFAULT_MAX_CHANNELS, createClientChannels } from './client-channels.js';
export type { ClientChannel, ClientChannels, ClientChannelsOptions } from './client-channels.js';
export { createClientDatagramCodec, createClientStreamCodec, createServerDatagramCodec, createServerStreamCodec } from './wire-codec.js';
export type { WireCodecOptions } from './wire-codec.js';
export { REQUEST_LOG_ERROR_CODES, RequestLogError, isRequestLogError } from './errors.js';
export type { RequestLogErrorCode, RequestLogErrorOptions } from './errors.js';
export { createRequestLogService } from './request-log-service.js';
export type { RequestLogServiceOptions } from './request-log-service.js';
