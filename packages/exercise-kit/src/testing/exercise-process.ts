/** Starting an exercise's real server process in end-to-end tests. */
import { type CliProcess, type CliTarget, spawnCli } from '../cli-process.js';

export interface ExerciseServerProcess {
  readonly proc: CliProcess;
  readonly port: number;
}

/**
 * Runs `<main> server --port 0 ...args`, waits (bounded) for the exact startup line
 * `<exercise> listening on <transport>://127.0.0.1:<port>` and returns the real port.
 */
export async function startExerciseServer(
  main: CliTarget,
  exercise: string,
  transport: 'tcp' | 'udp',
  args: readonly string[] = [],
  timeoutMs = 20_000,
): Promise<ExerciseServerProcess> {
  const proc = spawnCli(main, ['server', '--port', '0', ...args]);
  const pattern = new RegExp(`^${exercise} listening on ${transport}://127\\.0\\.0\\.1:(\\d+)$`);
  try {
    const match = await proc.waitForLine(pattern, timeoutMs);
    return { proc, port: Number(match[1]) };
  } catch (error) {
    await proc.stop('SIGKILL');
    throw error;
  }
}

/** The lines of a process's output, without the final empty one. */
export function lines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}
