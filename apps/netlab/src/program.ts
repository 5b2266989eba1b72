import { fileURLToPath } from 'node:url';
import { Command, runTour } from '@netlab/cli-kit';
import { EXERCISES } from './exercises.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

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
    .option('--only <names>', 'comma-separated parts to run (default: all)')
    .action(async (options: { only?: string }) => {
      const wanted = options.only?.split(',').map((name) => name.trim());
      const parts = EXERCISES.flatMap((exercise) => (exercise.tour === undefined ? [] : [exercise.tour])).filter(
        (part) => wanted === undefined || wanted.includes(part.name),
      );
      const failed = await runTour(MAIN, parts);
      if (failed > 0) process.exitCode = 1;
    });
  return program;
}
