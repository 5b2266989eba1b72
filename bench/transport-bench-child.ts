/**
 * Parent-side helpers of the transport benchmarks: fork a server child, ask it for memory or CPU
 * time, stop it.
 *
 * `startServer(mode, { checkout })` forks the child file of another checkout of netlab (with its
 * own `pnpm install`), so its `ours` modes run that checkout's transports: the benches use it for
 * a same-run before/after comparison when NETLAB_BENCH_BASELINE names such a checkout.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchServer {
  readonly port: number;
  readonly child: ChildProcess;
  memory(): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }>;
  /** User + system CPU time the server process has used so far, in µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/** The checkout named by NETLAB_BENCH_BASELINE (a directory), or undefined. */
export const baselineCheckout: string | undefined = process.env.NETLAB_BENCH_BASELINE === undefined || process.env.NETLAB_BENCH_BASELINE === '' ? undefined : process.env.NETLAB_BENCH_BASELINE;

export async function startServer(mode: string, options: { readonly checkout?: string } = {}): Promise<BenchServer> {
  // The WebSocket modes live in their own child file (ws-bench-server.ts).
  const file = mode.startsWith('ws-') ? 'ws-bench-server.ts' : 'transport-bench-server.ts';
  // Another checkout runs this checkout's child file (which knows every message) against its own
  // packages: copied next to its sources so that its imports resolve there.
  const dir = options.checkout === undefined ? import.meta.dirname : join(options.checkout, 'bench');
  if (options.checkout !== undefined) copyFileSync(join(import.meta.dirname, file), join(dir, `.baseline-${file}`));
  const child = fork(join(dir, options.checkout === undefined ? file : `.baseline-${file}`), [mode], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${mode} server did not start within 20 s`));
    }, 20_000);
    child.once('message', (message: { type?: string; port?: number }) => {
      clearTimeout(timer);
      if (message.type === 'ready' && typeof message.port === 'number') resolve(message.port);
      else reject(new Error(`unexpected message from ${mode} server`));
    });
    child.once('exit', (code) => {
      reject(new Error(`${mode} server exited with ${String(code)}`));
    });
  });
  return {
    port,
    child,
    memory: () =>
      new Promise((resolve) => {
        child.once('message', (message: { rss: number; heapUsed: number; external: number; arrayBuffers: number }) => {
          resolve(message);
        });
        child.send({ type: 'memory' });
      }),
    cpu: () =>
      new Promise((resolve) => {
        child.once('message', (message: { micros: number }) => {
          resolve(message.micros);
        });
        child.send({ type: 'cpu' });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
