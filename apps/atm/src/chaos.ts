/**
 * The chaos run: real bank server processes (this app's `server` command) on one durable store,
 * N concurrent ATMs × M random operations through seeded fault proxies with loss in both
 * directions, the server killed with SIGKILL K times under load and restarted on the same store
 * (and port), then a check of the books read straight from the store:
 *
 * 1. initial total + Σ approved deposits = Σ balances + Σ held + Σ cash dispensed;
 * 2. no account below zero;
 * 3. every request id applied at most once (one journal entry);
 * 4. every acknowledged request id (a reply reached its ATM) applied exactly once;
 * 5. no withdrawal left held unless its confirmation's outcome is unknown to its ATM.
 *
 * Where the loss happens: over UDP the fault proxy drops datagrams (netem `loss`) both ways; over
 * TCP a proxy cannot drop bytes without corrupting the stream, so the proxy cuts the stream at
 * random points (`slicer`) and the server drops whole requests before running them and whole
 * replies after committing them (`--drop-requests`, `--drop-replies`) at the same rate.
 *
 * With `replicas: 2` (PostgreSQL only) two servers share the store; each ATM talks to one and
 * fails over to the other when it dies, and every ATM switches once at half-time.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StartedServer, startServerProcess } from '@netlab/cli-kit';
import { type FaultCounters, type FaultProxy, type Prng, createPrng, createTcpFaultProxy, createUdpFaultProxy } from '@netlab/faults';
import { type AtmReply, DEMO_ACCOUNTS, type LedgerAudit, createAtmClient, generateBankKeySecret, isAtmError } from '@netlab/service-atm';
import { type AtmLink, type Endpoint, type LinkEvent, type LinkStats, createAtmLink, observedLoss } from './link.js';
import { type StoreSpec, openLedger, parseStoreSpec } from './store-spec.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export interface ChaosOptions {
  readonly transport: 'tcp' | 'udp';
  /** Concurrent ATMs. */
  readonly clients: number;
  /** Random operations per ATM (balance, deposit, withdraw + confirm or reversal). */
  readonly operations: number;
  /** SIGKILLs of a server under load (each followed by a restart on the same store). */
  readonly kills: number;
  /** Loss probability in each direction. */
  readonly loss: number;
  readonly seed: number;
  /** `--store` of the servers; default: a fresh SQLite file in a temporary directory. */
  readonly store?: string;
  /** 1, or 2 servers on one PostgreSQL store. Default 1. */
  readonly replicas?: number;
  /** Probability passed to the servers' `--crash-after-commit`. Default 0. */
  readonly crashAfterCommit?: number;
  /** Target a running server instead (no kills, no store check unless `store` is given). */
  readonly target?: Endpoint;
  /** Stop operations after this long and fail. Default 170 s. */
  readonly maxTimeMs?: number;
  /** Keep the temporary store / PostgreSQL schema. Default false. */
  readonly keepStore?: boolean;
  /** Progress callback, about every 100 ms. */
  readonly onProgress?: (progress: ChaosProgress) => void;
}

export interface ChaosProgress {
  readonly done: number;
  readonly total: number;
  readonly kills: number;
  readonly retries: number;
}

/** Counts per time slice, for the chart. */
export interface ChaosSample {
  readonly t: number;
  readonly attempts: number;
  readonly retries: number;
  readonly errors: number;
}

/** One withdrawal whose first reply was lost, for the sequence diagram. */
export interface LostReplyTrace {
  readonly clientId: string;
  readonly seq: number;
  readonly amount: number;
  /** ms since the first transmission. */
  readonly sends: readonly number[];
  readonly replyAt: number;
  readonly confirmSeq?: number;
  readonly transport: 'tcp' | 'udp';
}

export interface ChaosCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ChaosResult {
  readonly options: Omit<ChaosOptions, 'onProgress'>;
  readonly storeLabel: string;
  readonly durationMs: number;
  readonly operations: { readonly done: number; readonly failed: number; readonly byKind: Readonly<Record<string, number>> };
  readonly link: LinkStats;
  readonly observedLoss: number;
  readonly kills: number;
  readonly killsUnderLoad: number;
  readonly crashes: number;
  readonly faults: FaultCounters | undefined;
  readonly acknowledged: number;
  readonly unresolved: number;
  readonly audit: LedgerAudit | undefined;
  readonly checks: readonly ChaosCheck[];
  readonly passed: boolean;
  readonly samples: readonly ChaosSample[];
  readonly lostReply: LostReplyTrace | undefined;
}

const SAMPLE_MS = 500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Server {
  started: StartedServer;
  readonly port: number;
  restarting: Promise<void> | undefined;
}

function addStats(into: { -readonly [K in keyof LinkStats]: LinkStats[K] }, from: LinkStats): void {
  for (const key of Object.keys(into) as (keyof LinkStats)[]) into[key] += from[key];
}

/** Runs a chaos run (see the module comment); never throws for a failed check, only for setup errors. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const replicas = options.replicas ?? 1;
  const started = Date.now();
  /** Distinguishes this run's withdrawal ids from any earlier run's on the same store. */
  const runId = randomBytes(4).toString('hex');
  const prng = createPrng(options.seed);
  const cleanup: (() => Promise<void> | void)[] = [];
  let tempDir: string | undefined;
  let storeArg = options.store;
  let createdSchema: string | undefined;
  if (options.target === undefined && storeArg === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'netlab-atm-chaos-'));
    storeArg = `sqlite:${join(tempDir, 'atm.db')}`;
    if (options.keepStore !== true) cleanup.push(() => { rmSync(tempDir ?? '', { recursive: true, force: true }); });
  }
  let spec: StoreSpec | undefined = storeArg === undefined ? undefined : parseStoreSpec(storeArg);
  if (spec?.kind === 'postgres' && spec.schema === 'public' && options.target === undefined) {
    createdSchema = `atm_chaos_${randomBytes(4).toString('hex')}`;
    spec = { ...spec, schema: createdSchema };
    const url = new URL(spec.url);
    url.searchParams.set('schema', createdSchema);
    storeArg = url.toString();
  }
  if (replicas > 1 && spec?.kind !== 'postgres') throw new Error('replicas need a postgres:// store');
  // A store this run creates gets a key of its own, shared by every server through the
  // environment (replicas must agree); a store the user names keeps its own key (file).
  const bankKeyEnv = tempDir !== undefined || createdSchema !== undefined ? generateBankKeySecret().toString('hex') : undefined;
  const serverEnv = bankKeyEnv === undefined ? {} : { env: { NETLAB_ATM_BANK_KEY: bankKeyEnv } };
  if (options.kills > 0 && options.target === undefined && spec?.kind === 'memory') throw new Error('killing a server on a memory store loses everything: use sqlite: or postgres://');

  const servers: Server[] = [];
  const proxies: FaultProxy[] = [];
  let kills = 0;
  let killsUnderLoad = 0;
  let crashes = 0;
  let finished = false;
  // Read through a function: the flag changes in callbacks the compiler cannot see.
  const isFinished = (): boolean => finished;
  const serverArgs = (port: number): string[] => {
    const args = ['server', '--transport', options.transport, '--port', String(port), '--store', storeArg ?? 'memory', '--seed', String(prng.int(2 ** 31))];
    if (options.transport === 'tcp' && options.loss > 0) args.push('--drop-requests', String(options.loss), '--drop-replies', String(options.loss));
    if ((options.crashAfterCommit ?? 0) > 0) args.push('--crash-after-commit', String(options.crashAfterCommit));
    return args;
  };
  const watch = (server: Server): void => {
    void server.started.process.exited(2 ** 31 - 1).then(() => {
      // An exit nobody asked for (crash-after-commit): restart on the same store and port.
      if (!finished && server.restarting === undefined) {
        crashes++;
        void restart(server);
      }
    }, () => undefined);
  };
  const restart = (server: Server): Promise<void> => {
    server.restarting ??= (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          server.started = await startServerProcess(MAIN, serverArgs(server.port), { timeoutMs: 30_000, ...serverEnv });
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

  try {
    let endpoints: Endpoint[];
    if (options.target === undefined) {
      for (let i = 0; i < replicas; i++) {
        const first = await startServerProcess(MAIN, serverArgs(0), { timeoutMs: 30_000, ...serverEnv });
        const server: Server = { started: first, port: first.port, restarting: undefined };
        servers.push(server);
        watch(server);
      }
      endpoints = servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
    } else {
      endpoints = [options.target];
    }
    for (const [index, upstream] of endpoints.entries()) {
      const seed = options.seed + index;
      proxies.push(
        options.transport === 'udp'
          ? await createUdpFaultProxy({ upstreamHost: upstream.host, upstreamPort: upstream.port, seed, up: { loss: options.loss }, down: { loss: options.loss } })
          : await createTcpFaultProxy({ upstreamHost: upstream.host, upstreamPort: upstream.port, seed, up: { slicer: true }, down: { slicer: true } }),
      );
    }
    const proxied = proxies.map((proxy) => ({ host: proxy.host, port: proxy.port }));

    // --- the ATMs ---
    const total = options.clients * options.operations;
    let done = 0;
    let failed = 0;
    const byKind: Record<string, number> = {};
    const acknowledged = new Set<string>();
    const issued = new Set<string>();
    const unknownConfirmations = new Set<string>();
    const buckets = new Map<number, { attempts: number; retries: number; errors: number }>();
    const bucket = (at: number): { attempts: number; retries: number; errors: number } => {
      const key = Math.floor((at - started) / SAMPLE_MS);
      let b = buckets.get(key);
      if (b === undefined) {
        b = { attempts: 0, retries: 0, errors: 0 };
        buckets.set(key, b);
      }
      return b;
    };
    let lostReply: LostReplyTrace | undefined;
    const deadline = started + (options.maxTimeMs ?? 170_000);
    const links: AtmLink[] = [];
    /** Every client id an ATM of this run used (one per login). */
    const ourClients = new Set<string>();

    const worker = async (index: number): Promise<void> => {
      const rng: Prng = prng.fork(`atm-${index}`);
      const traces = new Map<number, { op: string; sends: number[] }>();
      let pendingWithdrawal: { seq: number; amount: number } | undefined;
      const onEvent = (event: LinkEvent): void => {
        const b = bucket(event.at);
        const clientId = event.type === 'failover' ? '' : event.clientId;
        if (event.type === 'send') {
          ourClients.add(clientId);
          b.attempts++;
          if (event.attempt > 1) b.retries++;
          if (event.attempt === 1) issued.add(`${clientId}:${event.seq}`);
          if (event.op === 'withdraw' || event.op === 'confirm') {
            const trace = traces.get(event.seq) ?? { op: event.op, sends: [] };
            trace.sends.push(event.at);
            traces.set(event.seq, trace);
          }
        } else if (event.type === 'reply') {
          acknowledged.add(`${clientId}:${event.seq}`);
          const trace = traces.get(event.seq);
          traces.delete(event.seq);
          if (trace?.op === 'withdraw' && event.replay && lostReply === undefined && trace.sends.length > 1) {
            pendingWithdrawal = { seq: event.seq, amount: 0 };
            const first = trace.sends[0] ?? event.at;
            lostReply = { clientId, seq: event.seq, amount: 0, sends: trace.sends.map((at) => at - first), replyAt: event.at - first, transport: options.transport };
          }
        } else if (event.type === 'unknown') {
          b.errors++;
        }
      };
      const link = createAtmLink({
        transport: options.transport,
        endpoints: replicas > 1 ? [...proxied.slice(index % proxied.length), ...proxied.slice(0, index % proxied.length)] : proxied,
        initialRetransmitMs: 60,
        maxRetransmitMs: 500,
        giveUpAfterMs: 6_000,
        unknownRetries: 1_000,
        random: () => rng.next(),
        onEvent,
      });
      links.push(link);
      const atm = createAtmClient({ connect: () => link.connect(), newWithdrawalId: () => `${runId}-atm${index}-w${rng.int(2 ** 31)}` });
      const account = DEMO_ACCOUNTS[index % DEMO_ACCOUNTS.length] ?? DEMO_ACCOUNTS[0];
      if (account === undefined) throw new Error('no demo account');
      const ensureSession = async (): Promise<void> => {
        while (atm.session === undefined) {
          const reply = await atm.login(account.card, account.pin);
          if (reply.code !== 'APPROVED') throw new Error(`login refused: ${reply.code}`);
        }
      };
      const count = (kind: string): void => {
        byKind[kind] = (byKind[kind] ?? 0) + 1;
      };
      for (let op = 0; op < options.operations && Date.now() < deadline; op++) {
        if (replicas > 1 && op === Math.floor(options.operations / 2)) link.failover();
        try {
          await ensureSession();
          const roll = rng.next();
          let reply: AtmReply | undefined;
          if (roll < 0.3) {
            reply = await atm.balance();
            count(`balance ${reply.code}`);
          } else if (roll < 0.55) {
            reply = await atm.deposit(100 + rng.int(10_000));
            count(`deposit ${reply.code}`);
          } else {
            // Mostly small; now and then more than any demo balance, to see declines under load.
            const amount = rng.chance(0.05) ? 2_000_000 : 100 + rng.int(10_000);
            const dispensed = !rng.chance(0.1);
            const result = await atm.withdraw(amount, () => dispensed);
            if (pendingWithdrawal !== undefined && lostReply?.amount === 0 && result.status === 'dispensed') {
              lostReply = { ...lostReply, amount, confirmSeq: pendingWithdrawal.seq + 1 };
              pendingWithdrawal = undefined;
            }
            count(result.status === 'declined' ? `withdraw ${result.authorization.code}` : `withdraw ${result.status}${result.status === 'reversed' ? ` (${result.why})` : ''}`);
          }
          if (reply?.code === 'SESSION_EXPIRED' || reply?.code === 'UNKNOWN_SESSION') count('session lost');
          done++;
        } catch (error) {
          failed++;
          if (isAtmError(error, 'ERR_OUTCOME_UNKNOWN') && error.message.includes('confirmation')) unknownConfirmations.add(String(error.details.withdrawal));
          count(`error ${error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error)}`);
        }
        options.onProgress?.({ done: done + failed, total, kills, retries: 0 });
      }
      await atm.logout().catch(() => undefined);
    };

    // --- the killer ---
    const killer = async (): Promise<void> => {
      if (options.target !== undefined) return;
      while (kills < options.kills && !finished) {
        await sleep(250 + prng.int(500));
        if (isFinished()) break;
        const server = servers[kills % servers.length];
        if (server === undefined) break;
        await server.restarting;
        server.restarting = (async () => {
          await server.started.process.stop('SIGKILL');
          kills++;
          if (done + failed < total) killsUnderLoad++;
        })();
        await server.restarting;
        server.restarting = undefined;
        await restart(server);
      }
    };

    const killing = killer();
    await Promise.all(Array.from({ length: options.clients }, (_, i) => worker(i)));
    // Kills still owed once the ATMs are done happen without load and do not count as under load.
    await killing;
    finished = true;
    await Promise.all(servers.map((server) => server.restarting ?? Promise.resolve()));
    const linkStats: { -readonly [K in keyof LinkStats]: LinkStats[K] } = { requests: 0, attempts: 0, retries: 0, timeouts: 0, replies: 0, fromLog: 0, failovers: 0 };
    for (const link of links) addStats(linkStats, link.stats());
    for (const link of links) await link.close();
    for (const server of servers) await server.started.process.stop('SIGTERM', 10_000);
    const faults = proxies.length > 0 ? await mergeProxyCounters(proxies) : undefined;
    proxies.length = 0;

    // --- the check, from the store ---
    let audit: LedgerAudit | undefined;
    if (spec !== undefined) {
      const { ledger } = await openLedger(spec, bankKeyEnv === undefined ? {} : { bankKeyEnv });
      try {
        audit = await ledger.audit();
      } finally {
        await ledger.close();
      }
    }
    const checks: ChaosCheck[] = [];
    const unresolved = [...issued].filter((id) => !acknowledged.has(id)).length;
    if (audit !== undefined) {
      const ours = [...audit.applied].filter(([id]) => ourClients.has(id.slice(0, id.lastIndexOf(':'))));
      const doubles = ours.filter(([, n]) => n > 1);
      const lost = [...acknowledged].filter((id) => audit.applied.get(id) !== 1);
      const strangers = ours.filter(([id]) => !issued.has(id));
      checks.push(
        {
          name: 'books balance',
          ok: audit.balanced,
          detail: `initial ${audit.initialTotal} + deposited ${audit.deposited} = balances ${audit.balances} + held ${audit.held} + dispensed ${audit.dispensed} (minor units)`,
        },
        { name: 'no negative balance', ok: audit.negativeAccounts.length === 0, detail: audit.negativeAccounts.length === 0 ? 'none' : audit.negativeAccounts.join(', ') },
        { name: 'applied at most once', ok: doubles.length === 0 && strangers.length === 0, detail: `${ours.length} request ids applied, ${doubles.length} twice or more, ${strangers.length} never sent` },
        { name: 'acknowledged exactly once', ok: lost.length === 0, detail: `${acknowledged.size} acknowledged, ${lost.length} not applied exactly once` },
        {
          name: 'nothing left held',
          ok: audit.withdrawals.held <= unknownConfirmations.size,
          detail: `${audit.withdrawals.held} held, ${unknownConfirmations.size} confirmations with an unknown outcome`,
        },
      );
    }
    checks.push({ name: 'all operations ran', ok: done === total, detail: `${done} of ${total} (${failed} failed)` });
    if (options.target === undefined) checks.push({ name: 'kills under load', ok: killsUnderLoad >= options.kills, detail: `${killsUnderLoad} of ${options.kills}` });
    const samples = [...buckets]
      .sort(([a], [b]) => a - b)
      .map(([key, b]) => ({ t: key * SAMPLE_MS, ...b }));
    return {
      options: { ...options, ...(storeArg === undefined ? {} : { store: storeArg }) },
      storeLabel: storeArg ?? `${options.target?.host ?? ''}:${options.target?.port ?? ''}`,
      durationMs: Date.now() - started,
      operations: { done, failed, byKind },
      link: linkStats,
      observedLoss: observedLoss(linkStats),
      kills,
      killsUnderLoad,
      crashes,
      faults,
      acknowledged: acknowledged.size,
      unresolved,
      audit,
      checks,
      passed: checks.every((check) => check.ok),
      samples,
      lostReply,
    };
  } finally {
    finished = true;
    for (const proxy of proxies) await proxy.close().catch(() => undefined);
    for (const server of servers) await server.started.process.stop('SIGKILL').catch(() => undefined);
    if (createdSchema !== undefined && options.keepStore !== true && spec?.kind === 'postgres') {
      const pg = (await import('pg')).default;
      const admin = new pg.Pool({ connectionString: spec.url });
      await admin.query(`DROP SCHEMA IF EXISTS ${createdSchema} CASCADE`).catch(() => undefined);
      await admin.end();
    }
    for (const step of cleanup) await step();
  }
}

async function mergeProxyCounters(proxies: readonly FaultProxy[]): Promise<FaultCounters> {
  const all = await Promise.all(proxies.map((proxy) => proxy.close()));
  const [first, ...rest] = all;
  if (first === undefined) throw new Error('no proxy');
  const merged = structuredClone(first);
  for (const counters of rest) {
    for (const direction of ['up', 'down'] as const) {
      for (const key of Object.keys(merged[direction]) as (keyof FaultCounters['up'])[]) merged[direction][key] += counters[direction][key];
    }
  }
  return merged;
}
