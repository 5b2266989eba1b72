export { FAULT_ERROR_CODES, FaultError, HTTP_STATUS_OF, isFaultError } from './errors.js';
export type { FaultErrorCode, FaultErrorOptions } from './errors.js';
export { createPrng } from './prng.js';
export type { Prng } from './prng.js';
export {
  COUNTER_FIELDS,
  COUNTER_UNITS,
  DIRECTIONS,
  PROTOCOL_COUNTER_FIELDS,
  addCounters,
  describeCounters,
  createDirectionCounters,
  createFaultCounters,
  formatCounters,
  snapshotCounters,
} from './counters.js';
export type { Direction, DirectionCounters, FaultCounters } from './counters.js';
export { createLossModel } from './loss-model.js';
export type { LossModel } from './loss-model.js';
export {
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_PACKETS,
  DEFAULT_REORDER_DELAY_MS,
  MAX_DELAY_MS,
  createDatagramImpairments,
  isTransparentDatagram,
  resolveDatagramImpairments,
} from './datagram-impairments.js';
export type { DatagramImpairmentOptions, DatagramImpairments } from './datagram-impairments.js';
export {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_SLICER_AVERAGE_SIZE,
  DEFAULT_SLICER_SIZE_VARIATION,
  createStreamImpairments,
  resolveStreamImpairments,
} from './stream-impairments.js';
export type { StreamAction, StreamImpairmentOptions, StreamImpairments } from './stream-impairments.js';
export { DEFAULT_SEED, createStreamFaults } from './stream-faults.js';
export type { StreamFaults, StreamFaultsOptions, StreamSink } from './stream-faults.js';
export { createDatagramFaults } from './datagram-faults.js';
export type { DatagramFaults, DatagramFaultsOptions } from './datagram-faults.js';
export { formatAddress } from './proxy-events.js';
export type { EventSubscription, FaultProxy, ProxyEvent, ProxyStats } from './proxy-events.js';
export { CLOSE_GRACE_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, createTcpFaultProxy } from './tcp-proxy.js';
export type { TcpDirectionImpairments, TcpFaultProxyOptions } from './tcp-proxy.js';
export { DEFAULT_CLIENT_IDLE_MS, DEFAULT_MAX_CLIENTS, createUdpFaultProxy } from './udp-proxy.js';
export type { UdpFaultProxyOptions } from './udp-proxy.js';
export { withStreamFaults } from './stream-iterable.js';
export type { StreamIterableOptions } from './stream-iterable.js';
export type { DecisionObserver, FaultCause, FaultDecision, FaultDecisionKind } from './fault-decision.js';
export { DEFAULT_MAX_HELD_BYTES, DEFAULT_MAX_HELD_UNITS } from './hold-queue.js';
export type { HoldState } from './hold-queue.js';
export type { StallCause } from './stream-impairments.js';
export { TOXIC_TYPES, datagramOptionsWith, defaultToxicName, parseToxic, streamOptionsWith, toxicToJson, updateToxic } from './toxics.js';
export type { SharedToxicType, TcpToxicType, Toxic, ToxicStream, ToxicType, UdpToxicType } from './toxics.js';
export type { ToxicStats } from './toxic-board.js';
export { isSelfUpstream } from './self-upstream.js';
export { DEFAULT_MAX_PROXIES, DEFAULT_MAX_TOXICS, createProxyRegistry, parseAddress } from './proxy-registry.js';
export type { ProxyInput, ProxyJson, ProxyRegistry, ProxyRegistryOptions, ProxyStarter, RegistryEvent } from './proxy-registry.js';
export {
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_EVENT_BACKLOG_BYTES,
  TOXIPROXY_API_VERSION,
  createControlApi,
  eventToJson,
} from './control-api.js';
export type { ControlApi, ControlApiOptions } from './control-api.js';
export { MAX_TIMELINE_MS, MAX_TIMELINE_STEPS, loadScenario, parseDurationMs, parseScenario, runTimeline } from './scenario.js';
export type { Scenario, TimelineAction, TimelineReport, TimelineRun, TimelineStep } from './scenario.js';
