/**
 * The case model: a suite is a list of cases; a case has a stable id
 * (`<exercise>.<group>.<name>`, e.g. `echo.framing.split-utf8`), a one-line title, points and a
 * `run` that drives the target through sockets (server suites) or plays the server for a client
 * process (client suites). A case passes when `run` resolves, fails when it throws a
 * `CaseFailure`, and is an error for anything else (the checker or the target broke).
 */
import type { Prng } from '@netlab/faults';
import type { ClientRunner } from './client-process.js';
import type { TcpProbe } from './tcp-probe.js';
import type { UdpProbe } from './udp-probe.js';

export type CaseStatus = 'pass' | 'fail' | 'error' | 'skip';

/** What a case needs beyond a reachable target; a case whose needs are not met is skipped. */
export type CaseNeed = 'faults' | 'server-cmd';

/** What every case gets: seeded randomness, scaled time, cleanup. */
export interface BaseCaseContext {
  /** The run's seed (`--seed`). */
  readonly seed: number;
  /** A generator for this case only: `createPrng(seed).fork(caseId)`, so `--only` replays it exactly. */
  readonly rng: Prng;
  /** Every timeout is multiplied by this (`--time-scale`). */
  readonly timeScale: number;
  /** `base × timeScale`, rounded: use for every timeout and pause. */
  ms(base: number): number;
  /** Waits `base × timeScale` ms (pauses that are part of the case, never to wait for a result). */
  pause(base: number): Promise<void>;
  /** Registers cleanup that runs when the case ends, pass or fail (last registered first). */
  defer(cleanup: () => Promise<void> | void): void;
}

/** Address of a TCP or UDP endpoint. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** TCP impairments of a fault proxy in front of the target (a subset of `@netlab/faults`). */
export interface TcpFaultSpec {
  /** Probability that a connection is reset (at its first data): a request lost on the way. */
  readonly resetPeer?: number;
  readonly up?: { readonly latencyMs?: number; readonly jitterMs?: number; readonly slicer?: boolean; readonly slicerAverageSize?: number; readonly slicerSizeVariation?: number; readonly slicerDelayMs?: number };
  readonly down?: { readonly latencyMs?: number; readonly jitterMs?: number; readonly slicer?: boolean; readonly slicerAverageSize?: number; readonly slicerSizeVariation?: number; readonly slicerDelayMs?: number };
}

/** UDP impairments of a fault proxy in front of the target. */
export interface UdpFaultSpec {
  readonly up?: { readonly loss?: number; readonly duplicate?: number; readonly delayMs?: number; readonly reorder?: number };
  readonly down?: { readonly loss?: number; readonly duplicate?: number; readonly delayMs?: number; readonly reorder?: number };
}

/** The context of a server-suite case: the target, probes to it, and fault proxies. */
export interface ServerCaseContext extends BaseCaseContext {
  readonly target: Endpoint;
  /** Opens a TCP connection to the target (or to `via`, e.g. a fault proxy); closed when the case ends. */
  tcp(name?: string, via?: Endpoint): Promise<TcpProbe>;
  /** Opens a UDP socket aimed at the target (or at `via`); closed when the case ends. */
  udp(name?: string, via?: Endpoint): Promise<UdpProbe>;
  /** Starts a seeded TCP fault proxy in front of the target; closed when the case ends. */
  tcpFaults(spec: TcpFaultSpec): Promise<Endpoint>;
  /** Starts a seeded UDP fault proxy in front of the target; closed when the case ends. */
  udpFaults(spec: UdpFaultSpec): Promise<Endpoint>;
  /**
   * Kills the target's process group with SIGKILL and starts it again with the same command
   * (a new port; `target` follows). Only with `--server-cmd` (cases that call it declare
   * `needs: ['server-cmd']`).
   */
  restartTarget(): Promise<void>;
}

/** The context of a client-suite case: runs the client command against a server the case plays. */
export interface ClientCaseContext extends BaseCaseContext {
  readonly client: ClientRunner;
}

interface CaseFields {
  /** Stable id, `<exercise>.<group>.<name>`. */
  readonly id: string;
  /** One line saying what the case checks. */
  readonly title: string;
  readonly group: string;
  /** Points a pass earns. */
  readonly points: number;
  /** Budget for the whole case before `--time-scale`, ms. Default {@link DEFAULT_CASE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  readonly needs?: readonly CaseNeed[];
}

export interface ServerCase extends CaseFields {
  run(ctx: ServerCaseContext): Promise<void>;
}

export interface ClientCase extends CaseFields {
  run(ctx: ClientCaseContext): Promise<void>;
}

/** Cases for a server target (netlab plays the clients). */
export interface ServerSuite {
  readonly role: 'server';
  readonly exercise: string;
  readonly transport: 'tcp' | 'udp';
  readonly cases: readonly ServerCase[];
}

/** Cases for a client target (netlab plays the server and the network). */
export interface ClientSuite {
  readonly role: 'client';
  readonly exercise: string;
  readonly transport: 'tcp' | 'udp';
  readonly cases: readonly ClientCase[];
}

export type Suite = ServerSuite | ClientSuite;

/** One case's outcome, as every report format carries it. */
export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly group: string;
  readonly points: number;
  readonly status: CaseStatus;
  /** Why it failed, errored or was skipped; empty on a pass. */
  readonly message: string;
  readonly durationMs: number;
}

/** A whole run: what the JSON report is. */
export interface CheckReport {
  readonly exercise: string;
  /** `tcp://127.0.0.1:7102`, `server-cmd: python3 server.py --port {port}`, `client-cmd: …`. */
  readonly target: string;
  readonly seed: number;
  readonly passed: number;
  readonly failed: number;
  /** Points earned. */
  readonly score: number;
  readonly maxScore: number;
  readonly cases: readonly CaseResult[];
}

/** Budget of one case unless it says otherwise, ms (before `--time-scale`). */
export const DEFAULT_CASE_TIMEOUT_MS = 30_000;
/** Wait for one expected reply, ms (before `--time-scale`): generous for a loaded machine, short for "takes seconds". */
export const DEFAULT_REPLY_TIMEOUT_MS = 3000;
