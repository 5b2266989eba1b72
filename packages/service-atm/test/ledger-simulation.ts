/**
 * One seeded, deterministic simulation of the bank: the memory ledger behind the real service
 * (authority checks, key exchange, MACs, the request log), ATMs running the real `createAtmClient`
 * flows over `createAtmChannels`, all on `@netlab/testing`'s simulated network (30 % loss, 20 %
 * duplication, reordering, late copies) and its virtual clock, with server crashes (before the
 * request runs, or after it committed and before the reply: everything in memory is dropped, the
 * ledger's state is kept, the bank key too). Every fault, delay and choice comes from the seed;
 * the random bytes of tokens and key exchanges do not steer anything, so the trace (event labels
 * and reply codes) replays exactly.
 *
 * Checks: the exactly-once checker (every id applied at most once, every acknowledged one exactly
 * once, replies of one id identical) over the journal, and the books (`checkBooks`): balanced, no
 * negative balance, nothing held.
 */
import {
  type ClientClock,
  type ReplyEnvelope,
  type RequestEnvelope,
  createClientDatagramCodec,
  createMemoryStoreState,
  createRequestLog,
  createServerDatagramCodec,
} from '@netlab/request-log';
import type { Session } from '@netlab/service';
import { type ExactlyOnceSummary, type Simulation, type SimulationResult, createExactlyOnceChecker, createSimNetwork, createSimulation } from '@netlab/testing';
import { createAtmChannels } from '../src/atm-channels.js';
import { createAtmClient } from '../src/atm-client.js';
import { createAtmService } from '../src/atm-service.js';
import { type BooksCheck, checkBooks } from '../src/audit.js';
import { generateBankKeySecret } from '../src/bank-key.js';
import type { SeedAccount } from '../src/demo-accounts.js';
import { createMemoryAtmLedger } from '../src/memory-ledger.js';

const SERVER = 'bank';
const MAX_SERVER_CRASHES = 3;
const ACCOUNTS: readonly SeedAccount[] = [
  { card: '123456789', holder: 'A', pin: '1234', balance: 50_000 },
  { card: '1000000002', holder: 'B', pin: '5678', balance: 20_000 },
];

export interface LedgerScenarioResult {
  readonly summary: ExactlyOnceSummary;
  readonly books: readonly BooksCheck[];
  readonly run: SimulationResult;
  readonly problems: readonly string[];
  readonly serverCrashes: number;
  readonly operations: number;
  readonly trace: readonly string[];
}

/**
 * Lets the ATM flows continue: a reply (or the start signal) resolves a promise inside a
 * simulation event, and the `await`s of `createAtmClient` continue in microtasks. The event waits
 * until they have all run (a macrotask comes after every microtask), so the requests they send
 * leave at this event's virtual time. Only one event runs at a time, so nothing else can slip in.
 */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The simulation's clock for the request-log clients: timers are simulation events. */
function simulatedClock(sim: Simulation, label: string): ClientClock {
  let next = 0;
  const cancelled = new Set<number>();
  return {
    now: () => sim.now,
    setTimeout(callback, ms) {
      const token = ++next;
      sim.after(ms, label, () => {
        if (!cancelled.delete(token)) callback();
      });
      return token;
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') cancelled.add(handle);
    },
  };
}

export interface LedgerScenarioOptions {
  /** Trace lines to keep. Default 0. */
  readonly traceLimit?: number;
  /** Break the bank on purpose (its request log forgets completion records) to prove the checks catch it. */
  readonly forgetRecords?: boolean;
}

export async function runLedgerScenario(seed: number, options: LedgerScenarioOptions = {}): Promise<LedgerScenarioResult> {
  const sim = createSimulation({ seed, traceLimit: options.traceLimit ?? 0, maxEvents: 300_000 });
  const rng = sim.prng.fork('scenario');
  const net = createSimNetwork({ simulation: sim });
  const checker = createExactlyOnceChecker();
  const problems: string[] = [];
  const state = createMemoryStoreState();
  const bankKey = generateBankKeySecret();
  const serverCodec = createServerDatagramCodec();
  const clientCodec = createClientDatagramCodec();
  let serverCrashes = 0;
  let operations = 0;

  // ---- the bank: a memory ledger whose state survives crashes, everything else does not ----
  const open = async (): Promise<(peer: string) => Session<RequestEnvelope, ReplyEnvelope>> => {
    const ledger = await createMemoryAtmLedger({ state, bankKey, accounts: ACCOUNTS, pinHashCost: 4 });
    if (options.forgetRecords === true) {
      // The broken store answers through `execute` alone (the log then never takes the synchronous path around it).
      delete ledger.store.executeSync;
      const execute = ledger.store.execute.bind(ledger.store);
      ledger.store.execute = (request, work, settings) => {
        state.records.get(request.clientId)?.delete(request.seq);
        return execute(request, work, settings);
      };
    }
    const log = createRequestLog({ store: ledger.store, now: () => sim.now, sweepIntervalMs: 0 });
    const service = createAtmService({ ledger, log });
    const sessions = new Map<string, Session<RequestEnvelope, ReplyEnvelope>>();
    return (peer) => {
      let session = sessions.get(peer);
      if (session === undefined) {
        const ctx = { peer: { transport: 'udp' as const, address: peer, port: 0, id: peer }, closed: false, send: () => false, close: () => undefined, log: () => undefined, now: () => sim.now };
        session = service.open(ctx.peer, ctx);
        sessions.set(peer, session);
      }
      return session;
    };
  };
  let sessionOf = await open();
  let epoch = 0;
  const crash = (why: string): void => {
    serverCrashes++;
    epoch++;
    sim.record(`bank crash (${why})`);
    net.down(SERVER);
    sim.after(50 + rng.int(1_500), 'bank restart', async () => {
      sessionOf = await open();
      net.attach(SERVER, onRequest);
    });
  };
  async function onRequest(bytes: Uint8Array, from: string): Promise<void> {
    const request = serverCodec.decode(bytes);
    const mine = epoch;
    if (serverCrashes < MAX_SERVER_CRASHES && rng.chance(0.01)) {
      crash('before the request runs');
      return;
    }
    const replies = await sessionOf(from).receive(request);
    if (epoch !== mine) return;
    for (const reply of replies) {
      if (reply.status === 'done') checker.replied(`${reply.clientId}:${reply.seq}`, reply.body);
      sim.record(`bank → ${from} ${reply.clientId.slice(0, 12)}:${reply.seq} ${reply.status === 'done' ? 'done' : reply.code}`);
    }
    if (serverCrashes < MAX_SERVER_CRASHES && rng.chance(0.02)) {
      crash('after the commit, before the reply');
      return;
    }
    for (const reply of replies) net.send(SERVER, from, serverCodec.encode(reply));
  }
  net.attach(SERVER, onRequest);

  // ---- the ATMs: three, two of them on one card ----
  const unknownConfirmations = new Set<string>();
  /** Request ids whose done reply reached their ATM. */
  const answered = new Set<string>();
  const atms: Promise<void>[] = [];
  for (let index = 0; index < 3; index++) {
    const address = `atm-${index}`;
    const random = rng.fork(address);
    const account = ACCOUNTS[index % 2] ?? ACCOUNTS[0];
    if (account === undefined) throw new Error('no account');
    let ids = 0;
    const channels = createAtmChannels({
      send: (request) => {
        checker.issued(`${request.clientId}:${request.seq}`);
        net.send(address, SERVER, clientCodec.encode(request));
      },
      newClientId: () => `sim-${index}-${++ids}`,
      clock: simulatedClock(sim, `${address} timer`),
      random: () => random.next(),
      initialRetransmitMs: 50,
      maxRetransmitMs: 800,
      giveUpAfterMs: 0,
    });
    net.attach(address, async (bytes) => {
      const reply = clientCodec.decode(bytes);
      const id = `${reply.clientId}:${reply.seq}`;
      if (reply.status === 'done') {
        checker.replied(id, reply.body);
        if (channels.open.some((channel) => channel.client.clientId === reply.clientId)) {
          checker.acknowledged(id);
          answered.add(id);
        }
      } else if (reply.code !== 'ERR_UNAVAILABLE' && reply.code !== 'ERR_IN_PROGRESS' && !answered.has(id)) {
        // A late copy of an answered request gets ERR_STALE, harmlessly; before its answer, any
        // other error would be taken as the request's outcome.
        problems.push(`${address}: ${reply.code} for ${id} before its answer: ${reply.message}`);
      }
      channels.receive(reply);
      await flush();
    });
    let withdrawals = 0;
    const atm = createAtmClient({ connect: () => channels.connect(), newWithdrawalId: () => `${address}-w${++withdrawals}` });
    const steps = 3 + random.int(6);
    atms.push(
      (async () => {
        await new Promise<void>((resolve) => {
          sim.at(random.int(500), `${address} start`, async () => {
            resolve();
            await flush();
          });
        });
        const login = await atm.login(account.card, account.pin);
        if (login.code !== 'APPROVED') {
          problems.push(`${address}: login ${login.code}`);
          return;
        }
        for (let step = 0; step < steps; step++) {
          const roll = random.next();
          operations++;
          if (roll < 0.25) await atm.balance();
          else if (roll < 0.5) await atm.deposit(100 + random.int(5_000));
          else {
            const dispensed = !random.chance(0.15);
            try {
              const result = await atm.withdraw(100 + random.int(15_000), () => dispensed);
              sim.record(`${address} withdraw ${result.status}`);
            } catch (error) {
              const withdrawal = (error as { details?: { withdrawal?: unknown } }).details?.withdrawal;
              if (typeof withdrawal === 'string') unknownConfirmations.add(withdrawal);
              problems.push(`${address}: withdraw failed: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
        }
        await atm.logout();
        channels.close();
      })().catch((error: unknown) => {
        problems.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
      }),
    );
  }

  const run = await sim.run(600_000);
  await Promise.race([Promise.all(atms), Promise.resolve()]);
  const ledger = await createMemoryAtmLedger({ state, bankKey, accounts: ACCOUNTS, pinHashCost: 4 });
  const audit = await ledger.audit();
  const summary = checker.verify(audit.applied);
  const books = checkBooks(audit, { allowedHeld: unknownConfirmations.size });
  if (run.exhausted) problems.push(`the run did not finish (${run.events} events)`);
  if (summary.unresolved > 0) problems.push(`${summary.unresolved} requests never resolved`);
  for (const check of books) if (!check.ok) problems.push(`books: ${check.name}: ${check.detail}`);
  return { summary, books, run, problems, serverCrashes, operations, trace: sim.trace };
}
