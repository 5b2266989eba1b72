/**
 * Every failure `@netlab/test-hosts` reports is a `TestHostsError` whose `code` comes from this
 * fixed table. A test that cannot have hosts (not Linux, not root, no `ip`) should skip with
 * {@link testHostsSupport}'s reason rather than catch these.
 */
export const TEST_HOSTS_ERROR_CODES = {
  /** This machine cannot create test hosts: not Linux, not root, or `ip` / `nft` missing. */
  ERR_NOT_SUPPORTED: 'test hosts are not supported here',
  /** An `ip`, `nft` or `tc` step failed or did not finish in time (its stderr is in the message). */
  ERR_COMMAND_FAILED: 'a network command failed',
  /** The kernel has no `sch_netem`: delay and reordering cannot be applied. */
  ERR_NO_NETEM: 'the kernel has no netem qdisc',
  /** A bad option value (an address outside the private ranges, a loss outside 0..1, ...). */
  ERR_INVALID_OPTION: 'invalid option',
  /** The hosts were used after `destroy()`. */
  ERR_DESTROYED: 'the test hosts were destroyed',
} as const;

export type TestHostsErrorCode = keyof typeof TEST_HOSTS_ERROR_CODES;

export interface TestHostsErrorOptions {
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/test-hosts`. */
export class TestHostsError extends Error {
  override readonly name = 'TestHostsError';
  readonly code: TestHostsErrorCode;
  /** Machine-readable context: the command and its stderr, the option and its value. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: TestHostsErrorCode, message?: string, options: TestHostsErrorOptions = {}) {
    super(message ?? TEST_HOSTS_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link TestHostsError}, optionally with the given code. */
export function isTestHostsError(value: unknown, code?: TestHostsErrorCode): value is TestHostsError {
  return value instanceof TestHostsError && (code === undefined || value.code === code);
}
