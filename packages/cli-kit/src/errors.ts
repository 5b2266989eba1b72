/** Error codes of command-line wiring. Each maps to one clear line on stderr, never a stack. */
export const CLI_ERROR_CODES = {
  /** A bad flag, argument or value. */
  ERR_USAGE: 'invalid usage',
  /** The server could not be reached (refused, unreachable, timed out). */
  ERR_CONNECT: 'cannot connect',
  /** The address to listen on is taken or not allowed. */
  ERR_LISTEN: 'cannot listen',
  /** Input could not be read. */
  ERR_INPUT: 'cannot read input',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/** A user-facing failure: its message is printed as is, with exit code `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}
