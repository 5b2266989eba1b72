/**
 * Runs the network tools (`ip`, `nft`, `tc`) as child processes: bounded in time and in output,
 * and failing with one `ERR_COMMAND_FAILED` that carries the command line and its stderr. The
 * synchronous twin is for `process.on('exit')`, where nothing asynchronous runs any more.
 */
import { execFile, execFileSync } from 'node:child_process';
import { TestHostsError } from './errors.js';

/** Time one network command may take. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 15_000;

/** Output kept from one command (stdout and stderr each). */
export const MAX_COMMAND_OUTPUT_BYTES = 1024 * 1024;

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  /** Written to the command's stdin. Default: nothing. */
  readonly input?: string;
  /** Kill the command after this long. Default {@link DEFAULT_COMMAND_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** The command line for a message: long arguments (inline scripts) shortened. */
function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((word) => (word.length > 60 ? `${word.slice(0, 57).replace(/\s+/g, ' ')}...` : word)).join(' ');
}

function failure(command: string, args: readonly string[], error: unknown, stderr: string): TestHostsError {
  const why = stderr.trim() === '' ? (error instanceof Error ? error.message : String(error)) : stderr.trim();
  return new TestHostsError('ERR_COMMAND_FAILED', `${commandLine(command, args)}: ${why}`, { cause: error, details: { command, args, stderr } });
}

/** Runs `command args…`; resolves with its output, rejects with `ERR_COMMAND_FAILED`. */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { timeout: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, maxBuffer: MAX_COMMAND_OUTPUT_BYTES, encoding: 'utf8', killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error === null) resolve({ stdout, stderr });
        else reject(failure(command, args, error, stderr));
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** The synchronous twin of {@link runCommand}, for exit handlers. */
export function runCommandSync(command: string, args: readonly string[], options: RunCommandOptions = {}): CommandResult {
  try {
    const stdout = execFileSync(command, [...args], {
      timeout: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      maxBuffer: MAX_COMMAND_OUTPUT_BYTES,
      encoding: 'utf8',
      input: options.input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
      killSignal: 'SIGKILL',
    });
    return { stdout, stderr: '' };
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw failure(command, args, error, typeof stderr === 'string' ? stderr : '');
  }
}
