/**
 * Global setup of the `hosts` vitest project: before the suite, remove the test hosts a killed
 * earlier run left (creator gone); after it, fail the run if any host namespace of the prefix
 * outlived its creator, that is, if a test file's process ended without cleaning up (each
 * file's process is gone by then, so anything left whose creator is dead is a leak of this run
 * or an unswept one of an earlier run, removed either way).
 */
import { listTestHostNamespaces, parseHostName, resolvePrefix, sweepStaleTestHosts, testHostsSupport } from '../src/index.js';
import { isProcessAlive } from '../src/sweep.js';

export async function setup(): Promise<void> {
  const support = await testHostsSupport();
  if (!support.ok) return;
  const removed = await sweepStaleTestHosts();
  if (removed.length > 0) console.warn(`removed ${String(removed.length)} stale test host namespaces of an earlier run: ${removed.join(', ')}`);
}

export async function teardown(): Promise<void> {
  const support = await testHostsSupport();
  if (!support.ok) return;
  const prefix = resolvePrefix();
  const leaked = (await listTestHostNamespaces()).filter((name) => {
    const pid = parseHostName(name, prefix)?.pid;
    return pid !== undefined && !isProcessAlive(pid);
  });
  await sweepStaleTestHosts();
  if (leaked.length > 0) throw new Error(`test host namespaces outlived their test process: ${leaked.join(', ')}`);
}
