/**
 * Two test hosts: Linux network namespaces `<prefix>-<pid>-<run>-a` and `…-b`, joined by a veth
 * pair (`veth-a` in A, `veth-b` in B) with IPv4 addresses of their own on one /30 (by default
 * 10.x.y.1 and 10.x.y.2, x and y random per run), `lo` up in each. Commands run in a host through
 * `ip netns exec`, which execs the command in place: the pid a caller gets is the command's own, so
 * a signal (SIGKILL of a server) reaches it directly.
 *
 * Cleanup, even when a test fails: `destroy()` (idempotent; `withTestHosts` calls it in a
 * `finally`) kills what still runs inside the two namespaces (only processes this run started can
 * be there) and deletes them, which destroys the veth pair with them; a `process.on('exit')`
 * handler does the same synchronously for hosts still alive when the process ends, and SIGINT,
 * SIGTERM and SIGHUP get a handler that cleans up and re-raises when nobody else listens; and
 * `createTestHosts` first sweeps namespaces of the same prefix whose creating process is gone
 * (a run killed with SIGKILL leaves them; see `sweep.ts`).
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { TestHostsError } from './errors.js';
import { type LinkLoss, LOSS_TABLE, type LossCounters, lossRuleset, parseLossCounters } from './loss-rules.js';
import { formatHostName, resolvePrefix } from './names.js';
import { type CommandResult, DEFAULT_COMMAND_TIMEOUT_MS, type RunCommandOptions, runCommand } from './run-command.js';
import { destroyNamespace, destroyNamespaceSync, sweepStaleTestHosts } from './sweep.js';
import { testHostsSupport } from './support.js';
import type { TestHostsSupport } from './support.js';

/** Default prefix length of the link's subnet: a /30 holds exactly the two hosts. */
export const DEFAULT_PREFIX_LENGTH = 30;

export interface TestHostsOptions {
  /** Family prefix of the namespace names. Default `$NETLAB_TEST_HOSTS_PREFIX`, else `nlh`. */
  readonly prefix?: string;
  /** Host A's address on the link (10/8 or 192.168/16). Default 10.x.y.1, x and y random. */
  readonly addressA?: string;
  /** Host B's address on the link (10/8 or 192.168/16). Default A's address + 1. */
  readonly addressB?: string;
  /** Prefix length of the link's subnet, 8..30. Default {@link DEFAULT_PREFIX_LENGTH}. */
  readonly prefixLength?: number;
  /** Remove stale namespaces of the prefix (creator gone) first. Default true. */
  readonly sweep?: boolean;
  /** Time each `ip` / `nft` / `tc` step may take. Default 15 s. */
  readonly commandTimeoutMs?: number;
}

/** Delay and reordering with netem, where the kernel has it. */
export interface LinkDelay {
  /** Added one-way delay of every packet this host sends onto the link, ms (≥ 0). Required. */
  readonly delayMs: number;
  /** Random variation of the delay, ms. Default 0. */
  readonly jitterMs?: number;
  /** Share of packets sent at once (so ahead of the delayed ones), 0..1. Default 0. */
  readonly reorder?: number;
}

/** One host: a network namespace with one end of the link. */
export interface TestHost {
  /** The namespace name (`ip netns exec <name> …`). */
  readonly name: string;
  readonly side: 'a' | 'b';
  /** This host's IPv4 address on the link. */
  readonly address: string;
  /** Its end of the veth pair. */
  readonly ifname: string;
  /** The argv that runs `command args…` in this host (`ip netns exec <name> command args…`). */
  command(command: string, args?: readonly string[]): { readonly command: string; readonly args: readonly string[] };
  /** Runs a command to completion in this host; rejects with `ERR_COMMAND_FAILED` on a non-zero exit. */
  run(command: string, args?: readonly string[], options?: RunCommandOptions): Promise<CommandResult>;
  /** Starts a command in this host (the child's pid is the command's own). */
  spawn(command: string, args?: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Drops a share of the IPv4 packets on this host's end of the link (nftables, in this host's namespace). */
  setLoss(loss: number | LinkLoss): Promise<void>;
  /** Removes the loss rules (a no-op when there are none). */
  clearLoss(): Promise<void>;
  /** What the loss rules saw and dropped so far; rejects when no loss is applied. */
  lossCounters(): Promise<LossCounters>;
  /**
   * The kernel's SNMP counters of this host's namespace (`nstat -asz`), e.g. `TcpRetransSegs`,
   * `TcpExtTCPTimeouts`, `UdpInDatagrams`: absolute since the host was created. Unknown names are 0.
   */
  kernelCounters(names: readonly string[]): Promise<Readonly<Record<string, number>>>;
  /** Whether netem works on this host's link (this kernel may lack `sch_netem`), and why not. */
  netem(): Promise<TestHostsSupport>;
  /** Delays (and reorders) what this host sends onto the link; rejects with `ERR_NO_NETEM` without netem. */
  setDelay(delay: LinkDelay): Promise<void>;
  /** Removes the delay (a no-op when there is none). */
  clearDelay(): Promise<void>;
}

/** Two hosts joined by one link. */
export interface TestHosts {
  readonly a: TestHost;
  readonly b: TestHost;
  /** The random tag of this pair (part of both names). */
  readonly run: string;
  readonly prefixLength: number;
  /** Applies the same loss in both directions of the link (on host A's end, so each packet meets it once). */
  setLoss(loss: number): Promise<void>;
  clearLoss(): Promise<void>;
  readonly destroyed: boolean;
  /** Kills what runs inside the hosts and deletes both namespaces (and so the link). Idempotent. */
  destroy(): Promise<void>;
}

// --- the exit safety net -------------------------------------------------------------------

/** Namespaces created by this process and not yet deleted. */
const live = new Set<string>();
let handlersInstalled = false;

function cleanupSync(): void {
  for (const name of [...live]) {
    try {
      destroyNamespaceSync(name);
    } catch {
      // Best effort at exit: the next run's sweep removes what is left.
    }
    live.delete(name);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only where nobody else handles the signal: adding a listener would otherwise change what it does.
    if (process.listenerCount(signal) > 0) continue;
    const handler = (): void => {
      cleanupSync();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** Names of the namespaces this process created and has not deleted yet (for tests of cleanup). */
export function liveTestHostNames(): readonly string[] {
  return [...live];
}

// --- addresses -----------------------------------------------------------------------------

function parseIpv4(address: string, option: string): number {
  const parts = address.split('.');
  const bytes = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : Number.NaN));
  if (bytes.length !== 4 || bytes.some((byte) => !(byte >= 0 && byte <= 255))) {
    throw new TestHostsError('ERR_INVALID_OPTION', `invalid ${option} "${address}": expected an IPv4 address`, { details: { option, value: address } });
  }
  const [a = 0, b = 0, c = 0, d = 0] = bytes;
  // Private ranges only: nothing the hosts send can be meant for a machine outside them.
  if (!(a === 10 || (a === 192 && b === 168))) {
    throw new TestHostsError('ERR_INVALID_OPTION', `invalid ${option} "${address}": test hosts use 10.0.0.0/8 or 192.168.0.0/16 only`, { details: { option, value: address } });
  }
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function linkAddresses(options: TestHostsOptions): { a: string; b: string; prefixLength: number } {
  const prefixLength = options.prefixLength ?? DEFAULT_PREFIX_LENGTH;
  if (!Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30) {
    throw new TestHostsError('ERR_INVALID_OPTION', `invalid prefixLength ${String(prefixLength)}: expected 8..30`, { details: { option: 'prefixLength', value: prefixLength } });
  }
  const a = options.addressA ?? `10.${String(64 + randomInt(128))}.${String(randomInt(256))}.${String(randomInt(64) * 4 + 1)}`;
  const aValue = parseIpv4(a, 'addressA');
  const b = options.addressB ?? formatIpv4(aValue + 1);
  const bValue = parseIpv4(b, 'addressB');
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const network = (aValue & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  for (const [value, option] of [[aValue, 'addressA'], [bValue, 'addressB']] as const) {
    if (((value & mask) >>> 0) !== network || value === network || value === broadcast) {
      throw new TestHostsError('ERR_INVALID_OPTION', `invalid ${option} "${formatIpv4(value)}": not a host address of ${formatIpv4(network)}/${String(prefixLength)}`, { details: { option, value: formatIpv4(value) } });
    }
  }
  if (aValue === bValue) throw new TestHostsError('ERR_INVALID_OPTION', 'addressA and addressB are the same', { details: { option: 'addressB', value: b } });
  return { a, b, prefixLength };
}

// --- the hosts -----------------------------------------------------------------------------

/** `nstat` output (`#kernel`, then `Name  value  rate` lines) as counts for `names` (absent: 0). */
export function parseNstat(output: string, names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(names.map((counter) => [counter, 0]));
  for (const line of output.split('\n')) {
    const [counter, value] = line.trim().split(/\s+/);
    if (counter !== undefined && value !== undefined && /^\d+$/.test(value) && counter in counts) counts[counter] = Number(value);
  }
  return counts;
}

function checkDelay(delay: LinkDelay): string[] {
  const number = (value: number, name: string, max: number): number => {
    if (!Number.isFinite(value) || value < 0 || value > max) throw new TestHostsError('ERR_INVALID_OPTION', `invalid ${name} ${String(value)}: expected 0..${String(max)}`, { details: { option: name, value } });
    return value;
  };
  const args = ['delay', `${String(number(delay.delayMs, 'delayMs', 60_000))}ms`];
  if ((delay.jitterMs ?? 0) > 0) args.push(`${String(number(delay.jitterMs ?? 0, 'jitterMs', 60_000))}ms`);
  if ((delay.reorder ?? 0) > 0) args.push('reorder', `${String(number((delay.reorder ?? 0) * 100, 'reorder', 100))}%`);
  return args;
}

function createHost(name: string, side: 'a' | 'b', address: string, ifname: string, timeoutMs: number, alive: () => void): TestHost {
  const inHost = (command: string, args: readonly string[] = []): { command: string; args: readonly string[] } => ({ command: 'ip', args: ['netns', 'exec', name, command, ...args] });
  const run = (command: string, args: readonly string[] = [], options: RunCommandOptions = {}): Promise<CommandResult> => {
    alive();
    const wrapped = inHost(command, args);
    return runCommand(wrapped.command, wrapped.args, { timeoutMs, ...options });
  };
  let netemProbe: Promise<TestHostsSupport> | undefined;
  const host: TestHost = {
    name,
    side,
    address,
    ifname,
    command: inHost,
    run,
    spawn(command, args = [], options = {}) {
      alive();
      const wrapped = inHost(command, args);
      return spawn(wrapped.command, [...wrapped.args], options);
    },
    async setLoss(loss) {
      const both = typeof loss === 'number' ? { inbound: loss, outbound: loss } : loss;
      await run('nft', ['-f', '-'], { input: lossRuleset(ifname, both) });
    },
    async clearLoss() {
      await run('nft', ['-f', '-'], { input: `add table ip ${LOSS_TABLE}\ndelete table ip ${LOSS_TABLE}\n` });
    },
    async lossCounters() {
      const { stdout } = await run('nft', ['-j', 'list', 'counters', 'table', 'ip', LOSS_TABLE]);
      return parseLossCounters(stdout);
    },
    async kernelCounters(names) {
      for (const counter of names) {
        if (!/^[A-Za-z0-9]{1,64}$/.test(counter)) throw new TestHostsError('ERR_INVALID_OPTION', `invalid kernel counter name "${counter}"`, { details: { option: 'names', value: counter } });
      }
      const { stdout } = await run('nstat', ['-asz', ...names]);
      return parseNstat(stdout, names);
    },
    netem() {
      netemProbe ??= (async (): Promise<TestHostsSupport> => {
        try {
          await run('tc', ['qdisc', 'add', 'dev', ifname, 'root', 'netem', 'delay', '0ms']);
        } catch (error) {
          const stderr = (error as TestHostsError).details.stderr;
          return { ok: false, reason: `this kernel has no netem qdisc (sch_netem), so delay and reordering are not applied: ${typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(error)}` };
        }
        await run('tc', ['qdisc', 'del', 'dev', ifname, 'root']);
        return { ok: true };
      })();
      return netemProbe;
    },
    async setDelay(delay) {
      const args = checkDelay(delay);
      const support = await host.netem();
      if (!support.ok) throw new TestHostsError('ERR_NO_NETEM', support.reason);
      await run('tc', ['qdisc', 'replace', 'dev', ifname, 'root', 'netem', ...args]);
    },
    async clearDelay() {
      // `tc qdisc del` fails when there is no root qdisc of ours: a no-op is what the caller wants.
      await run('tc', ['qdisc', 'del', 'dev', ifname, 'root']).catch(() => undefined);
    },
  };
  return host;
}

/**
 * Creates the two hosts and their link (see the module comment); rejects with `ERR_NOT_SUPPORTED`
 * where that cannot work (check {@link testHostsSupport} first to skip instead). Whatever was
 * created before a failing step is removed again before the promise rejects.
 */
export async function createTestHosts(options: TestHostsOptions = {}): Promise<TestHosts> {
  const prefix = resolvePrefix(options.prefix);
  const addresses = linkAddresses(options);
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const support = await testHostsSupport();
  if (!support.ok) throw new TestHostsError('ERR_NOT_SUPPORTED', support.reason);
  if (options.sweep !== false) await sweepStaleTestHosts({ prefix });
  installHandlers();

  const run = randomBytes(3).toString('hex');
  const names = { a: formatHostName({ prefix, pid: process.pid, run }, 'a'), b: formatHostName({ prefix, pid: process.pid, run }, 'b') };
  const ip = (...args: string[]): Promise<CommandResult> => runCommand('ip', args, { timeoutMs });
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    const errors: unknown[] = [];
    for (const name of [names.a, names.b]) {
      if (!live.has(name)) continue;
      try {
        await destroyNamespace(name, { timeoutMs });
        live.delete(name);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  };
  try {
    for (const name of [names.a, names.b]) {
      // Registered before the command runs: a failure half-way must still be cleaned up.
      live.add(name);
      await ip('netns', 'add', name);
    }
    await ip('-n', names.a, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', names.b);
    for (const [name, ifname, address] of [[names.a, 'veth-a', addresses.a], [names.b, 'veth-b', addresses.b]] as const) {
      await ip('-n', name, 'addr', 'add', `${address}/${String(addresses.prefixLength)}`, 'dev', ifname);
      await ip('-n', name, 'link', 'set', 'lo', 'up');
      await ip('-n', name, 'link', 'set', ifname, 'up');
    }
  } catch (error) {
    await destroy().catch(() => undefined);
    throw error;
  }
  const alive = (): void => {
    if (destroyed) throw new TestHostsError('ERR_DESTROYED', `test hosts ${names.a} and ${names.b} were destroyed`);
  };
  const a = createHost(names.a, 'a', addresses.a, 'veth-a', timeoutMs, alive);
  const b = createHost(names.b, 'b', addresses.b, 'veth-b', timeoutMs, alive);
  return {
    a,
    b,
    run,
    prefixLength: addresses.prefixLength,
    setLoss: (loss) => a.setLoss(loss),
    clearLoss: () => a.clearLoss(),
    get destroyed() {
      return destroyed;
    },
    destroy,
  };
}

/** Creates two hosts, runs `body` with them, and destroys them whatever `body` did. */
export async function withTestHosts<T>(body: (hosts: TestHosts) => Promise<T>, options: TestHostsOptions = {}): Promise<T> {
  const hosts = await createTestHosts(options);
  try {
    return await body(hosts);
  } finally {
    await hosts.destroy();
  }
}
