// A withdrawal applied exactly once over TCP, on SQLite. Run: node --import tsx examples/tcp-sqlite.ts
import { createReconnectingTcpClient, createTcpServer } from '@netlab/transport-tcp';
import {
  createClient,
  createClientStreamCodec,
  createRequestLog,
  createRequestLogService,
  createServerStreamCodec,
} from '@netlab/request-log';
import { type SqliteEffect, createSqliteStore } from '@netlab/request-log/sqlite';

// ---- server: the ledger and the request log share one SQLite file ----
const store = createSqliteStore({ database: ':memory:' }); // a file path in real use
store.db.exec(`CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
               INSERT INTO accounts VALUES ('alice', 10000)`);
const withdraw: SqliteEffect = (db, payload) => {
  const { account, amount } = payload as { account: string; amount: number };
  const row = db.prepare<[string], { balance: number }>('SELECT balance FROM accounts WHERE id = ?').get(account);
  if (row === undefined || row.balance < amount) return { declined: 'ERR_INSUFFICIENT_FUNDS' };
  db.prepare('UPDATE accounts SET balance = balance - ? WHERE id = ?').run(amount, account);
  return { dispensed: amount, balance: row.balance - amount }; // committed with the completion record
};
const log = createRequestLog({ store });
const server = createTcpServer({
  codec: createServerStreamCodec(),
  service: createRequestLogService({ log, effect: () => withdraw }),
});
const { port } = await server.listen();

// ---- client: retransmits the same id until a reply, resends after every reconnect ----
const tcp = createReconnectingTcpClient({
  codec: createClientStreamCodec(),
  port,
  onEvent: (event) => {
    if (event.type === 'connected') client.resend();
  },
});
const client = createClient({ send: (request) => tcp.send(request) });
void (async () => {
  for await (const reply of tcp) client.receive(reply);
})();

console.log(await client.call({ account: 'alice', amount: 2500 })); // { balance: 7500, dispensed: 2500 }
console.log(log.stats()); // fresh: 1, duplicates: 0, ...

client.close();
await tcp.close();
await server.close();
await log.close();
