import type { Command, TourPart } from '@netlab/cli-kit';
import { codecTourPart } from './codec-tour.js';

/** One entry of the umbrella CLI: a command (`netlab <name> ...`) and/or a part of the tour. */
export interface Exercise {
  readonly name: string;
  /** Builds `netlab <name>`; absent for tour-only entries. */
  readonly command?: () => Command;
  readonly tour?: TourPart;
}

/** Everything `netlab` knows, in tour order. Each exercise app adds itself here. */
export const EXERCISES: readonly Exercise[] = [{ name: 'codec', tour: codecTourPart }];
