/**
 * Replicas: two server processes on the same PostgreSQL schema; every request (and every
 * retransmission) is sent to both at the same moment. Each must be applied exactly once, and both
 * replicas must answer it with the same reply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connectTcp, type TcpClient } from '@netlab/transport-tcp';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type ReplyEnvelope, type RequestEnvelope, createClient, createClientStreamCodec } from '../src/index.js';

const url = process.env.NETLAB_PG_URL;
if (url === undefined || url === '') console.warn('SKIPPED: PostgreSQL replica test needs NETLAB_PG_URL');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'pg-server.ts');
const schema = `rl_replicas_${randomBytes(4).toString('hex')}`;
const children = new Set<ChildProcess>();

function startReplica(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, url ?? '', schema, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('replica did not start within 20 s'));
    }, 20_000);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${String(code)}`));
    });
  });
}

describe.skipIf(url === undefined || url === '')('two replicas on one PostgreSQL', () => {
  const connections: TcpClient<ReplyEnvelope, RequestEnvelope>[] = [];
  afterAll(async () => {
    for (const connection of connections) await connection.close();
    for (const child of children) child.kill('SIGKILL');
    const admin = new pg.Pool({ connectionString: url });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('applies each request once when both replicas receive it at the same moment', { timeout: 90_000 }, async () => {
    const ports = [await startReplica(), await startReplica()];
    const CLIENTS = 4;
    const CALLS = 75;
    const bodies = new Map<string, Set<string>>();
    const acknowledged: string[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const links = await Promise.all(ports.map((port) => connectTcp({ codec: createClientStreamCodec(), port })));
        connections.push(...links);
        const client = createClient({
          clientId: `replica-client-${c}`,
          send: (request) => {
            for (const link of links) link.send(request);
          },
          initialRetransmitMs: 500,
          giveUpAfterMs: 30_000,
        });
        for (const link of links) {
          void (async () => {
            for await (const reply of link) {
              if (reply.status === 'done') {
                const id = `${reply.clientId}:${reply.seq}`;
                bodies.set(id, (bodies.get(id) ?? new Set()).add(reply.body));
              }
              client.receive(reply);
            }
          })();
        }
        const calls = Array.from({ length: CALLS }, () => client.call({ op: 'debit' }));
        for (const value of (await Promise.all(calls)) as { clientId: string; seq: number }[]) acknowledged.push(`${value.clientId}:${value.seq}`);
        client.close();
      }),
    );
    const admin = new pg.Pool({ connectionString: url });
    const rows = (await admin.query<{ id: string; n: string; replicas: string }>(
      `SELECT client_id || ':' || seq AS id, count(*) AS n, count(DISTINCT replica) AS replicas FROM ${schema}.applications GROUP BY client_id, seq`,
    )).rows;
    const perReplica = (await admin.query<{ replica: string; n: string }>(`SELECT replica, count(*) AS n FROM ${schema}.applications GROUP BY replica`)).rows;
    await admin.end();
    const doubles = rows.filter((row) => Number(row.n) !== 1);
    const differing = [...bodies].filter(([, set]) => set.size !== 1);
    console.log(`replicas: ${acknowledged.length} acknowledged, ${rows.length} applied, split ${perReplica.map((r) => `${r.replica}=${r.n}`).join(' ')}`);
    expect(acknowledged).toHaveLength(CLIENTS * CALLS);
    expect(doubles).toEqual([]);
    expect(rows.map((row) => row.id).sort()).toEqual([...acknowledged].sort());
    expect(differing).toEqual([]);
    // Both replicas did real work: the race was real, not one replica answering everything.
    expect(perReplica.length).toBe(2);
  });
});
