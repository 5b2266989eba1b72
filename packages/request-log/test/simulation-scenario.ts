/**
 * One simulated run of the exactly-once protocol: the sans-I/O client core and the request log on
 * the memory store, talking through real datagram codecs over @netlab/testing's lossy simulated
 * network (30 % loss, 20 % duplication, reordering, late copies), with server crashes (on receipt:
 * the request is lost; after commit: the reply is lost; all server memory is dropped, the store's
 * durable state is kept) and client crashes (the core is dropped; a new one resumes from the
 * outbox). Every random choice comes from the seed.
 */
import { createExactlyOnceChecker, createSimNetwork, createSimulation, type ExactlyOnceSummary, type SimulationResult } from '@netlab/testing';
import {
  ClientCore,
  type ClientOutput,
  type JsonValue,
  type MemoryEffect,
  type RequestLog,
  createClientDatagramCodec,
  createMemoryOutbox,
  createMemoryStore,
  createMemoryStoreState,
  createRequestLog,
  createServerDatagramCodec,
} from '../src/index.js';

export const SIM_CLIENTS = 4;
export const SIM_WINDOW = 4;
const SERVER = 'server';
const MAX_SERVER_CRASHES = 4;

export interface ScenarioResult {
  readonly summary: ExactlyOnceSummary;
  readonly run: SimulationResult;
  /** Protocol surprises the checker does not cover (a STALE for a pending request, ...). */
  readonly problems: readonly string[];
  readonly serverCrashes: number;
  readonly clientCrashes: number;
  /** Requests that went outcome-unknown and were later retried to an answer. */
  readonly unknowns: number;
  readonly records: number;
  readonly trace: readonly string[];
}

interface Operation {
  readonly op: 'deposit' | 'withdraw' | 'explode';
  readonly amount: number;
}

const effect: MemoryEffect = (tx, payload, { clientId, seq }) => {
  const key = `applied:${clientId}:${seq}`;
  const count = tx.get(key);
  tx.set(key, (typeof count === 'number' ? count : 0) + 1);
  const { op, amount } = payload as unknown as Operation;
  if (op === 'explode') throw new Error('the effect exploded');
  const stored = tx.get('balance');
  const balance = typeof stored === 'number' ? stored : 1_000;
  if (op === 'withdraw' && amount > balance) return { declined: 'insufficient funds', balance };
  const next = op === 'deposit' ? balance + amount : balance - amount;
  tx.set('balance', next);
  return { balance: next };
};

export interface ScenarioOptions {
  /** Trace lines to keep. Default 0. */
  readonly traceLimit?: number;
  /** Break the server on purpose (it forgets completion records) to prove the checker catches it. */
  readonly forgetRecords?: boolean;
}

export async function runScenario(seed: number, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const traceLimit = options.traceLimit ?? 0;
  const sim = createSimulation({ seed, traceLimit, maxEvents: 200_000 });
  const rng = sim.prng.fork('scenario');
  const net = createSimNetwork({ simulation: sim });
  const clientCodec = createClientDatagramCodec();
  const server = createServerDatagramCodec();
  const checker = createExactlyOnceChecker();
  const problems: string[] = [];
  const durable = createMemoryStoreState();
  let serverCrashes = 0;
  let clientCrashes = 0;
  let unknowns = 0;

  // ---- server ----
  const newLog = (): RequestLog<MemoryEffect> => {
    const store = createMemoryStore({ state: durable });
    if (options.forgetRecords === true) {
      // The broken store answers through `execute` alone (the log then never takes the synchronous path around it).
      delete store.executeSync;
      const execute = store.execute.bind(store);
      store.execute = (request, work, settings) => {
        durable.records.get(request.clientId)?.delete(request.seq);
        return execute(request, work, settings);
      };
    }
    return createRequestLog({ store, maxInFlight: SIM_WINDOW, sweepIntervalMs: 0, clock: sim.clock });
  };
  let log = newLog();
  function crashServer(why: string): void {
    serverCrashes++;
    sim.record(`server crash (${why})`);
    net.down(SERVER);
    sim.after(50 + rng.int(2_000), 'server restart', () => {
      log = newLog();
      net.attach(SERVER, onRequest);
    });
  }
  async function onRequest(bytes: Uint8Array, from: string): Promise<void> {
    const request = server.decode(bytes);
    if (serverCrashes < MAX_SERVER_CRASHES && rng.chance(0.015)) {
      crashServer('before execute');
      return;
    }
    const reply = await log.execute(request, effect);
    if (reply.status === 'done') checker.replied(`${reply.clientId}:${reply.seq}`, reply.body);
    if (serverCrashes < MAX_SERVER_CRASHES && rng.chance(0.03)) {
      crashServer('after commit, before reply');
      return;
    }
    net.send(SERVER, from, server.encode(reply));
  }
  net.attach(SERVER, onRequest);

  // ---- clients ----
  for (let c = 0; c < SIM_CLIENTS; c++) {
    const address = `client-${c}`;
    const clientId = `sim-${c}`;
    const outbox = createMemoryOutbox();
    const random = rng.fork(address);
    let core: ClientCore | undefined;
    let epoch = 0;
    let timerToken = 0;

    const apply = (output: ClientOutput): void => {
      if (core === undefined) return;
      const current = core;
      const removed = output.events.filter((event) => event.type !== 'unknown').map((event) => event.seq);
      if (removed.length > 0) outbox.save({ clientId, nextSeq: current.nextSeq, ack: current.ack, remove: removed });
      for (const event of output.events) {
        const id = `${clientId}:${event.seq}`;
        if (event.type === 'done') {
          checker.replied(id, event.body);
          checker.acknowledged(id);
        } else if (event.type === 'failed' && event.error.code === 'ERR_EFFECT_FAILED') {
          checker.failed(id);
        } else if (event.type === 'unknown' && event.error.code === 'ERR_OUTCOME_UNKNOWN') {
          unknowns++;
          const myEpoch = epoch;
          sim.after(200 + random.int(2_000), `${address} retry ${event.seq}`, () => {
            if (epoch !== myEpoch || core === undefined) return;
            if (core.pending().some((entry) => entry.seq === event.seq && entry.state === 'unknown')) apply(core.retry(event.seq, sim.now));
          });
        } else {
          problems.push(`${id}: unexpected ${event.type} ${event.error.code}: ${event.error.message}`);
        }
      }
      for (const request of output.send) net.send(address, SERVER, clientCodec.encode(request));
      const deadline = current.nextDeadline();
      if (deadline !== undefined) {
        const token = ++timerToken;
        sim.at(deadline, `${address} timer`, () => {
          if (token === timerToken && core === current) apply(current.poll(sim.now));
        });
      }
    };

    const start = (): void => {
      const restore = outbox.load();
      core = new ClientCore({
        clientId,
        random: () => random.next(),
        maxInFlight: SIM_WINDOW,
        initialRetransmitMs: 50,
        maxRetransmitMs: 800,
        giveUpAfterMs: 4_000,
        ...(restore === undefined ? {} : { restore }),
      });
      net.attach(address, (bytes) => {
        if (core !== undefined) apply(core.receive(clientCodec.decode(bytes), sim.now));
      });
      apply(core.poll(sim.now));
    };
    start();

    const calls = 4 + random.int(9);
    for (let k = 0; k < calls; k++) {
      const operation: Operation = {
        op: random.chance(0.05) ? 'explode' : random.chance(0.5) ? 'deposit' : 'withdraw',
        amount: 1 + random.int(400),
      };
      const issue = (): void => {
        if (core === undefined) {
          sim.after(100, `${address} postpone`, issue);
          return;
        }
        const { seq, output } = core.submit(operation as unknown as JsonValue, sim.now);
        outbox.save({ clientId, nextSeq: core.nextSeq, ack: core.ack, add: [{ seq, payload: operation as unknown as JsonValue }] });
        checker.issued(`${clientId}:${seq}`);
        apply(output);
      };
      sim.at(random.int(5_000), `${address} call`, issue);
    }

    if (random.chance(0.4)) {
      sim.at(random.int(6_000), `${address} crash`, () => {
        clientCrashes++;
        epoch++;
        core = undefined;
        net.down(address);
        sim.after(100 + random.int(3_000), `${address} restart`, start);
      });
    }
  }

  const run = await sim.run(3_600_000);
  const applied = new Map<string, number>();
  for (const [key, value] of durable.data) {
    if (key.startsWith('applied:') && typeof value === 'number') applied.set(key.slice('applied:'.length), value);
  }
  const summary = checker.verify(applied);
  let records = 0;
  for (const map of durable.records.values()) records += map.size;
  if (run.exhausted) problems.push(`the run did not finish (${run.events} events)`);
  if (summary.unresolved > 0) problems.push(`${summary.unresolved} requests never resolved`);
  if (records > SIM_CLIENTS * SIM_WINDOW) problems.push(`${records} records kept, more than ${SIM_CLIENTS * SIM_WINDOW}`);
  return { summary, run, problems, serverCrashes, clientCrashes, unknowns, records, trace: sim.trace };
}
