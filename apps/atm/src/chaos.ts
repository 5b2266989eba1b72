/**
 * The chaos run: real bank server processes (this app's `server` command) on one durable store,
 * N concurrent ATMs × M random operations through seeded fault proxies with loss in both
 * directions, the server killed with SIGKILL K times under load and restarted on the same store
 * (and port), then a check of the books read straight from the store:
 *
 * 1. the books (`checkBooks` of `@netlab/service-atm`): initial total + Σ approved deposits =
 *    Σ balances + Σ held + Σ cash dispensed; no account below zero; no withdrawal left held
 *    unless its confirmation's outcome is unknown to its ATM;
 * 2. exactly once (`createExactlyOnceChecker` of `@netlab/testing`, fed by the recorder, verified
 *    against the journal's count per request id): every id applied at most once and issued by
 *    this run, every acknowledged id (a reply reached its ATM) applied exactly once, every reply
 *    for one id byte-identical.
 *
 * The pieces: `chaos-fleet.ts` (the server processes: start, kill, restart), `chaos-workload.ts`
 * (one seeded ATM), `chaos-recorder.ts` (what the ATMs observed); this file wires them up.
 *
 * Where the loss happens: over UDP the fault proxy drops datagrams (netem `loss`) both ways; over
 * TCP a proxy cannot drop bytes without corrupting the stream, so the proxy cuts the stream at
 * random points (`slicer`) and the server drops whole requests before running them and whole
 * replies after committing them (`--drop-requests`, `--drop-replies`) at the same rate.
 *
 * Across two hosts (`serverNetns`, `serverHost`, `direct`): the servers run in another network
 * namespace on their own address, the ATMs (this process) reach them over a real link with no
 * proxy, and the loss is the kernel's (nftables on the link): TCP then really retransmits, and no
 * request or reply is dropped by the server itself.
 *
 * With `replicas: 2` (PostgreSQL only) two servers share the store; each ATM talks to one and
 * fails over to the other when it dies, and every ATM switches once at half-time.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FaultCounters, type FaultProxy, createPrng, createTcpFaultProxy, createUdpFaultProxy } from '@netlab/faults';
import { type BooksCheck, type LedgerAudit, checkBooks, generateBankKeySecret } from '@netlab/service-atm';
import { type ChaosSample, type LostReplyTrace, createChaosRecorder } from './chaos-recorder.js';
import { type ServerFleet, startServerFleet } from './chaos-fleet.js';
import { runWorkload } from './chaos-workload.js';
import { type ClientLink as AtmLink, type LinkEndpoint as Endpoint, type LinkStats, createClientLink as createAtmLink, observedLoss } from '@netlab/request-log/link';
import { type StoreSpec, openLedger, parseStoreSpec } from './store-spec.js';

export type { ChaosSample, LostReplyTrace } from './chaos-recorder.js';

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
  /**
   * Address the servers bind to and the ATMs reach them at (another host's address on a real
   * link, e.g. a test host of `@netlab/test-hosts`). Default 127.0.0.1.
   */
  readonly serverHost?: string;
  /** Start the servers inside this Linux network namespace (`ip netns exec`; root only). Default: this one. */
  readonly serverNetns?: string;
  /**
   * No fault proxies: the ATMs talk to the servers straight, and the loss is the network's
   * (kernel loss on a real link). `loss` must then be 0. Default false.
   */
  readonly direct?: boolean;
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
  /** Retransmissions so far, all ATMs together. */
  readonly retries: number;
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
  /** When each SIGKILL happened, ms since the start (the chart marks them). */
  readonly killTimes: readonly number[];
  readonly lostReply: LostReplyTrace | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function addStats(into: { -readonly [K in keyof LinkStats]: LinkStats[K] }, from: LinkStats): void {
  for (const key of Object.keys(into) as (keyof LinkStats)[]) into[key] += from[key];
}

/** Runs a chaos run (see the module comment); never throws for a failed check, only for setup errors. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const replicas = options.replicas ?? 1;
  const started = Date.now();
  const prng = createPrng(options.seed);
  /** Distinguishes this run's withdrawal ids from any earlier run's on the same store. */
  const runId = randomBytes(4).toString('hex');
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
  if (options.direct === true && options.loss > 0) throw new Error('with direct ATMs the network supplies the loss: the run\'s own loss must be 0');
  const serverHost = options.serverHost ?? '127.0.0.1';
  if (options.kills > 0 && options.target === undefined && spec?.kind === 'memory') throw new Error('killing a server on a memory store loses everything: use sqlite: or postgres://');
  // A store this run creates gets a key of its own, shared by every server through the
  // environment (replicas must agree); a store the user names keeps its own key (file).
  const bankKeyEnv = tempDir !== undefined || createdSchema !== undefined ? generateBankKeySecret().toString('hex') : undefined;

  let fleet: ServerFleet | undefined;
  const proxies: FaultProxy[] = [];
  let kills = 0;
  const killTimes: number[] = [];
  let killsUnderLoad = 0;
  let finished = false;
  // Read through a function: the flag changes in callbacks the compiler cannot see.
  const isFinished = (): boolean => finished;
  const serverArgs = (port: number): string[] => {
    const args = ['server', '--transport', options.transport, '--host', serverHost, '--port', String(port), '--store', storeArg ?? 'memory', '--seed', String(prng.int(2 ** 31))];
    if (options.transport === 'tcp' && options.loss > 0) args.push('--drop-requests', String(options.loss), '--drop-replies', String(options.loss));
    if ((options.crashAfterCommit ?? 0) > 0) args.push('--crash-after-commit', String(options.crashAfterCommit));
    return args;
  };

  try {
    let endpoints: Endpoint[];
    if (options.target === undefined) {
      fleet = await startServerFleet({
        servers: replicas,
        args: serverArgs,
        ...(bankKeyEnv === undefined ? {} : { env: { NETLAB_ATM_BANK_KEY: bankKeyEnv } }),
        ...(options.serverNetns === undefined ? {} : { netns: options.serverNetns }),
      });
      endpoints = fleet.ports.map((port) => ({ host: serverHost, port }));
    } else {
      endpoints = [options.target];
    }
    for (const [index, upstream] of (options.direct === true ? [] : endpoints).entries()) {
      const seed = options.seed + index;
      proxies.push(
        options.transport === 'udp'
          ? await createUdpFaultProxy({ upstreamHost: upstream.host, upstreamPort: upstream.port, seed, up: { loss: options.loss }, down: { loss: options.loss } })
          : await createTcpFaultProxy({ upstreamHost: upstream.host, upstreamPort: upstream.port, seed, up: { slicer: true }, down: { slicer: true } }),
      );
    }
    const proxied = options.direct === true ? endpoints : proxies.map((proxy) => ({ host: proxy.host, port: proxy.port }));

    // --- the ATMs ---
    const total = options.clients * options.operations;
    const recorder = createChaosRecorder(started, options.transport);
    const deadline = started + (options.maxTimeMs ?? 170_000);
    const links: AtmLink[] = [];
    const progress = (): void => {
      options.onProgress?.({ done: recorder.done + recorder.failed, total, kills, retries: recorder.retries });
    };
    const workers = Array.from({ length: options.clients }, (_, index) => {
      const rng = prng.fork(`atm-${index}`);
      const link = createAtmLink({
        transport: options.transport,
        endpoints: replicas > 1 ? [...proxied.slice(index % proxied.length), ...proxied.slice(0, index % proxied.length)] : proxied,
        initialRetransmitMs: 60,
        maxRetransmitMs: 500,
        giveUpAfterMs: 6_000,
        unknownRetries: 1_000,
        random: () => rng.next(),
        onEvent: (event) => {
          recorder.linkEvent(index, event);
        },
      });
      links.push(link);
      return runWorkload({
        index,
        link,
        rng,
        operations: options.operations,
        deadline,
        runId,
        recorder,
        ...(replicas > 1 ? { beforeOperation: (op: number) => { if (op === Math.floor(options.operations / 2)) link.failover(); } } : {}),
        onOperation: progress,
      });
    });

    // --- the killer ---
    const killer = async (): Promise<void> => {
      if (fleet === undefined) return;
      while (kills < options.kills && !finished) {
        await sleep(250 + prng.int(500));
        if (isFinished()) break;
        killTimes.push(Date.now() - started);
        // Under load means operations were still running when the SIGKILL went out (read before
        // the restart is awaited: the ATMs may finish while the server comes back).
        const underLoad = recorder.done + recorder.failed < total;
        await fleet.kill(kills);
        kills++;
        if (underLoad) killsUnderLoad++;
      }
    };

    const killing = killer();
    await Promise.all(workers);
    // Kills still owed once the ATMs are done happen without load and do not count as under load.
    await killing;
    finished = true;
    await fleet?.settle();
    const linkStats: { -readonly [K in keyof LinkStats]: LinkStats[K] } = { requests: 0, attempts: 0, retries: 0, timeouts: 0, replies: 0, fromLog: 0, failovers: 0 };
    for (const link of links) addStats(linkStats, link.stats());
    for (const link of links) await link.close();
    await fleet?.stop();
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
    const summary = recorder.checker.verify(
      new Map([...(audit?.applied ?? new Map<string, number>())].filter(([id]) => recorder.clients.has(id.slice(0, id.lastIndexOf(':'))))),
    );
    if (audit !== undefined) {
      const kinds = (...names: string[]): number => summary.violations.filter((v) => names.includes(v.kind)).length;
      const applied = [...audit.applied].filter(([id]) => recorder.clients.has(id.slice(0, id.lastIndexOf(':')))).length;
      const books: readonly BooksCheck[] = checkBooks(audit, { allowedHeld: recorder.unknownConfirmations.size });
      checks.push(
        ...books,
        { name: 'applied at most once', ok: kinds('applied-twice', 'unknown-id') === 0, detail: `${applied} request ids applied, ${kinds('applied-twice')} twice or more, ${kinds('unknown-id')} never sent` },
        { name: 'acknowledged exactly once', ok: kinds('lost-ack') === 0, detail: `${summary.acknowledged} acknowledged, ${kinds('lost-ack')} not applied exactly once` },
        { name: 'replies identical', ok: kinds('reply-changed') === 0, detail: `${summary.replies} replies seen, ${kinds('reply-changed')} differing from the first for their id` },
      );
    }
    checks.push({ name: 'all operations ran', ok: recorder.done === total, detail: `${recorder.done} of ${total} (${recorder.failed} failed)` });
    if (options.target === undefined) checks.push({ name: 'kills under load', ok: killsUnderLoad >= options.kills, detail: `${killsUnderLoad} of ${options.kills}` });
    return {
      options: { ...options, ...(storeArg === undefined ? {} : { store: storeArg }) },
      storeLabel: storeArg ?? `${options.target?.host ?? ''}:${options.target?.port ?? ''}`,
      durationMs: Date.now() - started,
      operations: { done: recorder.done, failed: recorder.failed, byKind: recorder.byKind },
      link: linkStats,
      observedLoss: observedLoss(linkStats),
      kills,
      killsUnderLoad,
      crashes: fleet?.crashes ?? 0,
      faults,
      acknowledged: summary.acknowledged,
      unresolved: summary.unresolved,
      audit,
      checks,
      passed: checks.every((check) => check.ok),
      samples: recorder.samples(),
      killTimes,
      lostReply: recorder.lostReply,
    };
  } finally {
    finished = true;
    for (const proxy of proxies) await proxy.close().catch(() => undefined);
    await fleet?.destroy();
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
