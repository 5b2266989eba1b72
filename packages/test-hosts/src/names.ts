/**
 * Namespace names: `<prefix>-<pid>-<run>-a` and `…-b`, where `pid` is the process that created
 * them and `run` a random hex tag. The pid makes a leftover recognisable as stale (its creator is
 * gone) without any state file, so a sweep at start removes what a killed run left behind and
 * never touches the namespaces of a run still going on beside it.
 */
import { TestHostsError } from './errors.js';

/** The default family prefix of every namespace this package creates. */
export const DEFAULT_TEST_HOSTS_PREFIX = 'nlh';

/** The environment variable that overrides the prefix (a test runner sets one per suite run). */
export const TEST_HOSTS_PREFIX_ENV = 'NETLAB_TEST_HOSTS_PREFIX';

const PREFIX = /^[a-z][a-z0-9]{0,15}$/;

/** Checks a prefix (lower-case letter, then up to 15 letters or digits); returns it. */
export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) {
    throw new TestHostsError('ERR_INVALID_OPTION', `invalid test hosts prefix "${prefix}": expected a lower-case letter then up to 15 letters or digits`, { details: { option: 'prefix', value: prefix } });
  }
  return prefix;
}

/** The prefix in effect: the option, else `$NETLAB_TEST_HOSTS_PREFIX`, else `nlh`. */
export function resolvePrefix(prefix?: string, env: NodeJS.ProcessEnv = process.env): string {
  return checkPrefix(prefix ?? env[TEST_HOSTS_PREFIX_ENV] ?? DEFAULT_TEST_HOSTS_PREFIX);
}

/** The parts of a namespace name this package made. */
export interface HostName {
  readonly prefix: string;
  readonly pid: number;
  readonly run: string;
  readonly side: 'a' | 'b';
}

/** `nlh-1234-9f3a2c-a` for prefix `nlh`, pid 1234, run `9f3a2c`, side `a`. */
export function formatHostName(name: Omit<HostName, 'side'>, side: 'a' | 'b'): string {
  return `${name.prefix}-${String(name.pid)}-${name.run}-${side}`;
}

/** The parts of `name` when it is one of ours under `prefix`, else undefined. */
export function parseHostName(name: string, prefix: string): HostName | undefined {
  const match = /^([a-z][a-z0-9]*)-(\d+)-([0-9a-f]+)-([ab])$/.exec(name);
  if (match?.[1] !== prefix) return undefined;
  return { prefix, pid: Number(match[2]), run: match[3] ?? '', side: match[4] === 'b' ? 'b' : 'a' };
}
