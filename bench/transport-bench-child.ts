/**
 * Parent-side helpers of the transport benchmarks: fork a server child, ask it for memory, stop it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export interface BenchServer {
  readonly port: number;
  readonly child: ChildProcess;
  memory(): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }>;
  stop(): Promise<void>;
}

export async function startServer(mode: string): Promise<BenchServer> {
  // The WebSocket modes live in their own child file (ws-bench-server.ts).
  const file = mode.startsWith('ws-') ? 'ws-bench-server.ts' : 'transport-bench-server.ts';
  const child = fork(join(import.meta.dirname, file), [mode], {
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
