export { connectRawTcp } from './raw-tcp.js';
export type { RawTcpPeer } from './raw-tcp.js';
export { closedTcpPort, closedUdpPort, silentUdpPort, udpExchange } from './ports.js';
export { lines, startExerciseServer } from './exercise-process.js';
export type { ExerciseServerProcess } from './exercise-process.js';
export { cliContractTests } from './cli-contract.js';
export type { CliContractOptions } from './cli-contract.js';
export { runCliProcess, runTs, spawnCli, spawnTs, startServerProcess } from '../cli-process.js';
export type { CliEntry, CliProcess, CliTarget, RunResult, SpawnOptions, StartedServer } from '../cli-process.js';
