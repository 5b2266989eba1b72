/**
 * Real processes: a request-log server on SQLite (test/fixtures/sqlite-server.ts) is killed with
 * SIGKILL at random moments while several TCP clients keep sending withdrawals, and restarted on
 * the same file. At the end the database must hold exactly one application for every request a
 * client got a value for, and at most one for every other request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng } from '@netlab/faults';
import { createReconnectingTcpClient } from '@netlab/transport-tcp';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type Client, createClient, createClientStreamCodec, isRequestLogError } from '../src/index.js';

const KILLS = 50;
const CLIENTS = 6;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'sqlite-server.ts');
const dir = mkdtempSync(join(tmpdir(), 'netlab-kill9-'));
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startServer(dbPath: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dbPath, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('server did not start within 20 s'));
    }, 20_000);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)} before listening`));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGKILL');
  });
}

interface Worker {
  readonly client: Client;
  readonly acknowledged: Set<string>;
  readonly issued: Set<string>;
  stop(): void;
  readonly done: Promise<void>;
  close(): Promise<void>;
}

function startWorker(index: number, port: number, seed: number): Worker {
  const prng = createPrng(seed);
  const tcp = createReconnectingTcpClient({
    codec: createClientStreamCodec(),
    port,
    backoff: { initialDelayMs: 20, maxDelayMs: 200, random: () => prng.next() },
    onEvent: (event) => {
      if (event.type === 'connected') client.resend();
    },
  });
  const client = createClient({
    clientId: `kill9-${index}`,
    send: (request) => {
      tcp.send(request);
    },
    random: () => prng.next(),
    initialRetransmitMs: 200,
    maxRetransmitMs: 1_000,
    giveUpAfterMs: 8_000,
  });
  void (async () => {
    for await (const reply of tcp) client.receive(reply);
  })().catch(() => undefined);
  const acknowledged = new Set<string>();
  const issued = new Set<string>();
  let running = true;
  const resolveOne = async (result: Promise<unknown>): Promise<void> => {
    for (;;) {
      try {
        const value = (await result) as { clientId: string; seq: number };
        acknowledged.add(`${value.clientId}:${value.seq}`);
        return;
      } catch (error) {
        if (isRequestLogError(error, 'ERR_OUTCOME_UNKNOWN') && error.seq !== undefined) {
          result = client.retry(error.seq);
          continue;
        }
        throw error;
      }
    }
  };
  const done = (async () => {
    const inFlight = new Set<Promise<void>>();
    while (running) {
      const seq = client.ack + inFlight.size + 1;
      issued.add(`${client.clientId}:${seq}`);
      const work = resolveOne(client.call({ amount: 1 + prng.int(100) }));
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      if (inFlight.size >= 4) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();
  return {
    client,
    acknowledged,
    issued,
    stop: () => {
      running = false;
    },
    done,
    close: async () => {
      client.close();
      await tcp.close();
    },
  };
}

describe('SQLite server killed with SIGKILL under load', () => {
  it(`applies every acknowledged request exactly once and none twice across ${KILLS} kills`, { timeout: 170_000 }, async () => {
    const dbPath = join(dir, 'server.sqlite');
    let server = await startServer(dbPath, 0);
    const port = server.port;
    const prng = createPrng(Number(process.env.NETLAB_KILL9_SEED ?? 9));
    const workers = Array.from({ length: CLIENTS }, (_, i) => startWorker(i, port, 1000 + i));
    const started = performance.now();
    let kills = 0;
    while (kills < KILLS) {
      await new Promise((resolve) => setTimeout(resolve, 30 + prng.int(250)));
      await kill(server.child);
      kills++;
      server = await startServer(dbPath, port);
    }
    for (const worker of workers) worker.stop();
    await Promise.all(workers.map((worker) => worker.done));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    await kill(server.child);
    for (const worker of workers) await worker.close();

    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare<[], { id: string; n: number }>(`SELECT client_id || ':' || seq AS id, count(*) AS n FROM applications GROUP BY client_id, seq`).all();
    const total = db.prepare<[], { total: number; sum: number }>('SELECT (SELECT total FROM balance) AS total, (SELECT coalesce(sum(amount), 0) FROM applications) AS sum').get();
    db.close();
    const applied = new Map(rows.map((row) => [row.id, row.n]));
    const acknowledged = workers.flatMap((worker) => [...worker.acknowledged]);
    const doubles = rows.filter((row) => row.n > 1);
    const lost = acknowledged.filter((id) => applied.get(id) !== 1);
    console.log(`kill -9: ${kills} kills in ${seconds} s, ${acknowledged.length} acknowledged requests, ${rows.length} applied, ${doubles.length} doubles, ${lost.length} lost`);
    expect(doubles).toEqual([]);
    expect(lost).toEqual([]);
    expect(total?.total).toBe(total?.sum);
    expect(acknowledged.length).toBeGreaterThan(KILLS);
    // Nothing was applied that the clients did not issue, and everything applied was acknowledged (clients retried every unknown).
    expect([...applied.keys()].sort()).toEqual([...acknowledged].sort());
  });
});
