import { CliError, Command } from '@netlab/cli-kit';
import { programEntry, runTour } from '@netlab/exercise-kit';
import { EXERCISES } from './exercises.js';

/** The names `demo --only` accepts, in tour order. */
export function tourPartNames(): string[] {
  return EXERCISES.flatMap((exercise) => (exercise.tour === undefined ? [] : [exercise.tour.name]));
}

/** Parses `--only a,b`: every name must be a part of the tour. */
export function parseOnly(value: string): string[] {
  const known = tourPartNames();
  const wanted = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (wanted.length === 0) throw new CliError('ERR_USAGE', `invalid --only "${value}": name at least one part (parts: ${known.join(', ')})`);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const what = unknown.length === 1 ? `unknown part "${unknown[0] ?? ''}"` : `unknown parts ${unknown.map((n) => `"${n}"`).join(', ')}`;
    throw new CliError('ERR_USAGE', `${what} (parts: ${known.join(', ')})`);
  }
  return wanted;
}

/** Builds the `netlab` program with every exercise's command and the tour. */
export function createProgram(): Command {
  const program = new Command('netlab')
    .description('Socket-programming lab exercises as real software: servers, clients, fault proxy and a tour.')
    .helpCommand(true)
    .showSuggestionAfterError(true);
  for (const exercise of EXERCISES) {
    if (exercise.command !== undefined) program.addCommand(exercise.command());
  }
  program
    .command('demo')
    .description('Run the tour: every exercise end to end on loopback, with transcripts.')
    .option('--only <parts>', `comma-separated parts to run (default: all): ${tourPartNames().join(', ')}`, parseOnly)
    .action(async (options: { only?: string[] }) => {
      const wanted = options.only;
      const parts = EXERCISES.flatMap((exercise) => (exercise.tour === undefined ? [] : [exercise.tour])).filter(
        (part) => wanted === undefined || wanted.includes(part.name),
      );
      const failed = await runTour(programEntry(new URL('./main.ts', import.meta.url)), parts);
      if (failed > 0) process.exitCode = 1;
    });
  return program;
}
