// Simulation: deterministic simulated network and the exactly-once checker.
export { DEFAULT_MAX_EVENTS, DEFAULT_MAX_QUEUED_EVENTS, createSimulation } from './simulation/simulation.js';
export type { Simulation, SimulationOptions, SimulationResult } from './simulation/simulation.js';
export {
  DEFAULT_SIM_DUPLICATE,
  DEFAULT_SIM_LATE,
  DEFAULT_SIM_LATE_DELAY_MS,
  DEFAULT_SIM_LOSS,
  DEFAULT_SIM_MAX_DELAY_MS,
  DEFAULT_SIM_MIN_DELAY_MS,
  createSimNetwork,
} from './simulation/sim-network.js';
export type { SimHandler, SimNetwork, SimNetworkCounters, SimNetworkOptions } from './simulation/sim-network.js';
export { createExactlyOnceChecker } from './simulation/exactly-once-checker.js';
export type {
  ExactlyOnceChecker,
  ExactlyOnceSummary,
  ExactlyOnceViolation,
  ExactlyOnceViolationKind,
} from './simulation/exactly-once-checker.js';
export { replayCommand, simulationSeeds } from './simulation/seeds.js';
export type { SimulationSeeds } from './simulation/seeds.js';
// Compliance: one suite every transport runs (import from a vitest file; vitest is a peer dependency).
export {
  DEFAULT_COMPLIANCE_CLIENTS,
  DEFAULT_COMPLIANCE_REQUESTS,
  DEFAULT_COMPLIANCE_TIMEOUT_MS,
  describeTransportCompliance,
} from './compliance/transport-compliance.js';
export type {
  ComplianceClient,
  ComplianceLimits,
  ComplianceOptions,
  ComplianceServer,
  TransportAdapter,
} from './compliance/transport-compliance.js';
export { createComplianceService } from './compliance/compliance-service.js';
export type { ComplianceService } from './compliance/compliance-service.js';
