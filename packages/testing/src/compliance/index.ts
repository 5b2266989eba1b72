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
// The request-log store and ATM ledger conformance suites: structural, so a user's own store or
// bank can run them without this package depending on @netlab/request-log or @netlab/service-atm.
export { describeStoreConformance } from './store-conformance.js';
export type { StoreHandle, StoreHarness, StoreLogOptions, StoreLogStats, StoreLogUnderTest } from './store-conformance.js';
export { CONFORMANCE_ACCOUNTS, describeLedgerConformance } from './ledger-conformance.js';
export type {
  ConformanceAccount,
  ConformanceAccountSummary,
  ConformanceAudit,
  LedgerHarness,
  LedgerUnderTest,
} from './ledger-conformance.js';
export { ATM_PIN_BLOCK_KEY, AtmTerminal, atmPinBlock, canonicalPayload, envelopeMac, replyValue, sha256Hex } from './atm-terminal.js';
export type { AtmReplyValue, BankConnection, MacChoice, WireReply, WireRequest } from './atm-terminal.js';
