/**
 * Seed selection for simulation tests: `NETLAB_SIM_SEED=<n>` replays one seed (with its trace),
 * `NETLAB_SIM_SEEDS=<count>` changes how many seeds a run covers, and `replayCommand` prints the
 * one command that replays a failing seed.
 */
import { TestingError } from '../errors.js';

export interface SimulationSeeds {
  /** The seeds to run, in order. */
  readonly seeds: readonly number[];
  /** True when one seed was asked for explicitly (print its trace). */
  readonly replaying: boolean;
}

function parseSeed(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new TestingError('ERR_INVALID_OPTION', `${name} must be a non-negative integer, got ${text}`, { details: { option: name, value: text } });
  return value;
}

/** Seeds from the environment: `NETLAB_SIM_SEED` (one), else `first` … `first + count − 1` (count from `NETLAB_SIM_SEEDS`). */
export function simulationSeeds(count: number, first = 1, env: NodeJS.ProcessEnv = process.env): SimulationSeeds {
  const one = env.NETLAB_SIM_SEED;
  if (one !== undefined && one !== '') return { seeds: [parseSeed('NETLAB_SIM_SEED', one)], replaying: true };
  const override = env.NETLAB_SIM_SEEDS;
  const n = override !== undefined && override !== '' ? parseSeed('NETLAB_SIM_SEEDS', override) : count;
  return { seeds: Array.from({ length: n }, (_, i) => first + i), replaying: false };
}

/** The command that replays `seed` of the simulation test in `testFile` (repo-relative). */
export function replayCommand(seed: number, testFile: string): string {
  return `NETLAB_SIM_SEED=${seed} npx vitest run ${testFile}`;
}
