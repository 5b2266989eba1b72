/**
 * Whether this machine can create test hosts, and why not: tests call this first and skip with
 * the reason (`describe.skipIf(!support.ok)` plus a `console.warn`), so a laptop without root
 * reports what it did not run instead of failing.
 */
import { runCommand } from './run-command.js';

/** The answer of {@link testHostsSupport}. */
export type TestHostsSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

let cached: Promise<TestHostsSupport> | undefined;

async function probe(): Promise<TestHostsSupport> {
  if (process.platform !== 'linux') return { ok: false, reason: `test hosts need Linux network namespaces (this is ${process.platform})` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'test hosts need root (ip netns, veth, nftables): run as root, as CI does' };
  try {
    await runCommand('ip', ['netns', 'list'], { timeoutMs: 10_000 });
  } catch (error) {
    return { ok: false, reason: `\`ip netns\` does not work here (install iproute2): ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    await runCommand('nft', ['--version'], { timeoutMs: 10_000 });
  } catch (error) {
    return { ok: false, reason: `\`nft\` does not work here (install nftables): ${error instanceof Error ? error.message : String(error)}` };
  }
  return { ok: true };
}

/** Probes once per process: Linux, root, `ip netns` and `nft` present. */
export function testHostsSupport(): Promise<TestHostsSupport> {
  cached ??= probe();
  return cached;
}
