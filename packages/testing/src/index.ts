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
export { TESTING_ERROR_CODES, TestingError, isTestingError } from './errors.js';
export type { TestingErrorCode } from './errors.js';
export { serveSimulated, connectSimulated } from './simulation/sim-service.js';
export type { SimulatedClient, SimulatedServer, SimulatedServerOptions } from './simulation/sim-service.js';
// The seeded PRNG every simulation and fault decision uses (it lives on the ground floor).
export { createPrng } from '@netlab/ground';
export type { Prng } from '@netlab/ground';
