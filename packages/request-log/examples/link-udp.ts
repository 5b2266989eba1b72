// The client link over UDP: a request-log server on @netlab/transport-udp, and
// `createClientLink` calling it (retransmission, unknown-outcome retries, counters).
import { createUdpServer } from '@netlab/transport-udp';
import { createMemoryStore, createRequestLog, createRequestLogService, createServerDatagramCodec, type MemoryEffect } from '@netlab/request-log';
import { createClientLink } from '@netlab/request-log/link';

// ---- server: a counter that must be added to once per request ----
const log = createRequestLog({ store: createMemoryStore() });
const add: MemoryEffect = (tx, payload) => {
  const { n } = payload as { n: number };
  const total = ((tx.get('total') as number | undefined) ?? 0) + n;
  tx.set('total', total);
  return { total };
};
const server = createUdpServer({ codec: createServerDatagramCodec(), service: createRequestLogService({ log, effect: () => add }) });
const { port } = await server.listen();

// ---- client: one link, one channel (a client id); more endpoints would be replicas ----
const link = createClientLink({ transport: 'udp', endpoints: [{ host: '127.0.0.1', port }] });
const channel = link.connect();
console.log(await channel.call({ op: 'add', n: 2 })); // { total: 2 }
console.log(await channel.call({ op: 'add', n: 3 })); // { total: 5 }
const { requests, replies } = link.stats();
console.log({ requests, replies }); // { requests: 2, replies: 2 }

// ---- done: close both ends so the program exits ----
await link.close();
await server.close();
await log.close();
