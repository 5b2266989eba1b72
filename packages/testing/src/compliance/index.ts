// The transport compliance suite: import it from a vitest test file (vitest is a peer dependency,
// which is why this lives behind the `@netlab/testing/compliance` subpath and not the root).
export {
  DEFAULT_COMPLIANCE_CLIENTS,
  DEFAULT_COMPLIANCE_REQUESTS,
  DEFAULT_COMPLIANCE_TIMEOUT_MS,
  describeTransportCompliance,
} from './transport-compliance.js';
export type {
  ComplianceClient,
  ComplianceLimits,
  ComplianceOptions,
  ComplianceServer,
  TransportAdapter,
} from './transport-compliance.js';
export { createComplianceService } from './compliance-service.js';
export type { ComplianceService } from './compliance-service.js';
// The request-log store conformance suite: structural, so a user's own store can run it without
// this package depending on @netlab/request-log.
export { describeStoreConformance } from './store-conformance.js';
export type { StoreHandle, StoreHarness, StoreLogOptions, StoreLogStats, StoreLogUnderTest } from './store-conformance.js';
export type { WireReply, WireRequest } from './atm-terminal.js';
