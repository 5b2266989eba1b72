/**
 * The chaos run's bank servers: real `atm server` processes on one store, each kept on its port.
 * `kill(i)` SIGKILLs server i and starts it again on the same store and port; an exit nobody
 * asked for (`--crash-after-commit`) is restarted the same way and counted as a crash. `stop()`
 * ends them all with SIGTERM (their stores closed properly), `destroy()` with SIGKILL.
 */
import { type StartedServer, exerciseEntry, startServerProcess } from '@netlab/exercise-kit';

// This app's main.ts on source; in the bundled netlab, `netlab atm` of the running program.
const MAIN = exerciseEntry('atm', new URL('./main.ts', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServerFleetOptions {
  /** Servers to run (1, or 2 on PostgreSQL). */
  readonly servers: number;
  /** The `atm server` arguments for a server on `port` (0 the first time: any free port). */
  readonly args: (port: number) => string[];
  /** Extra environment of every server (the bank key). */
  readonly env?: Readonly<Record<string, string>>;
  /** Run the servers inside this network namespace (`ip netns exec`). Default: this one. */
  readonly netns?: string;
}

export interface ServerFleet {
  /** The servers' ports, in order. */
  readonly ports: readonly number[];
  /** Kills (SIGKILL) and restarts server `index`; resolves once it listens again. */
  kill(index: number): Promise<void>;
  /** Unasked exits that were restarted so far. */
  readonly crashes: number;
  /** Waits for restarts in progress. */
  settle(): Promise<void>;
  /** Stops every server with SIGTERM (no more restarts). */
  stop(): Promise<void>;
  /** Kills whatever still runs (cleanup after a failure). */
  destroy(): Promise<void>;
}

interface Server {
  started: StartedServer;
  readonly port: number;
  restarting: Promise<void> | undefined;
}

/** Starts the fleet; resolves once every server listens. */
export async function startServerFleet(options: ServerFleetOptions): Promise<ServerFleet> {
  const servers: Server[] = [];
  let stopping = false;
  let crashes = 0;
  const start = (port: number): Promise<StartedServer> => startServerProcess(MAIN, options.args(port), {
      timeoutMs: 30_000,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.netns === undefined ? {} : { netns: options.netns }),
    });

  const restart = (server: Server): Promise<void> => {
    server.restarting ??= (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          server.started = await start(server.port);
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
          await sleep(200);
        }
      }
      server.restarting = undefined;
      watch(server);
    })();
    return server.restarting;
  };
  function watch(server: Server): void {
    const current = server.started;
    void current.process.exited(2 ** 31 - 1).then(
      () => {
        // An exit nobody asked for (crash-after-commit): restart on the same store and port.
        if (!stopping && server.restarting === undefined && server.started === current) {
          crashes++;
          void restart(server);
        }
      },
      () => undefined,
    );
  }

  for (let i = 0; i < options.servers; i++) {
    const started = await start(0);
    const server: Server = { started, port: started.port, restarting: undefined };
    servers.push(server);
    watch(server);
  }

  return {
    ports: servers.map((server) => server.port),
    get crashes() {
      return crashes;
    },
    async kill(index) {
      const server = servers[index % servers.length];
      if (server === undefined) return;
      await server.restarting;
      server.restarting = (async () => {
        await server.started.process.stop('SIGKILL');
      })();
      await server.restarting;
      server.restarting = undefined;
      await restart(server);
    },
    async settle() {
      await Promise.all(servers.map((server) => server.restarting ?? Promise.resolve()));
    },
    async stop() {
      stopping = true;
      await Promise.all(servers.map((server) => server.restarting ?? Promise.resolve()));
      for (const server of servers) await server.started.process.stop('SIGTERM', 10_000);
    },
    async destroy() {
      stopping = true;
      for (const server of servers) await server.started.process.stop('SIGKILL').catch(() => undefined);
    },
  };
}
