import { type LocalConnection, connectLocal } from '@netlab/service';
import { describeTransportCompliance } from '../src/compliance/index.js';

/**
 * connectLocal as a transport: a "server" is the set of local connections opened to one service,
 * and its close is the shutdown every socket server does (finish what was received, force what is
 * left at the grace deadline). Glue only: the rules are the session driver's.
 */
describeTransportCompliance('connectLocal (in memory)', {
  byteLimits: false,
  startServer(service) {
    const connections = new Set<LocalConnection<string, string>>();
    let closed = false;
    const server = {
      host: 'local',
      port: 0,
      open(): LocalConnection<string, string> {
        if (closed) throw new Error('the local server is closed');
        const connection = connectLocal(service);
        connections.add(connection);
        return connection;
      },
      async close(graceMs: number): Promise<void> {
        closed = true;
        for (const connection of connections) connection.shutdown();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all([...connections].map((connection) => connection.done)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
        for (const connection of connections) connection.abort();
      },
    };
    return Promise.resolve(server);
  },
  connect(server) {
    const connection = (server as unknown as { open(): LocalConnection<string, string> }).open();
    return Promise.resolve({
      async request(message: string): Promise<string> {
        const replies = await connection.send(message);
        return replies[0] ?? '';
      },
      close(): Promise<void> {
        connection.close();
        return Promise.resolve();
      },
    });
  },
});
