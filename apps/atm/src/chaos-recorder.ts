/**
 * What the chaos run's ATMs observed, kept in one place: operation counts by kind, the samples
 * for the chart, one withdrawal whose first reply was lost (for the sequence diagram), the
 * confirmations whose outcome stayed unknown, and the exactly-once checker of `@netlab/testing`
 * fed with every request id issued, every reply body seen and every id acknowledged. Pure
 * bookkeeping: no I/O, no clock of its own (events carry their time).
 */
import { type ExactlyOnceChecker, createExactlyOnceChecker } from '@netlab/testing';
import type { LinkEvent } from '@netlab/request-log/link';

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

/** The width of a chart sample. */
export const SAMPLE_MS = 500;

export interface ChaosRecorder {
  /** The checker the link events feed (verify it against the store's journal). */
  readonly checker: ExactlyOnceChecker;
  /** Client ids the run's ATMs used (one per login). */
  readonly clients: ReadonlySet<string>;
  /** Withdrawals whose confirmation got no definite answer (they may stay held). */
  readonly unknownConfirmations: ReadonlySet<string>;
  readonly done: number;
  readonly failed: number;
  readonly retries: number;
  readonly byKind: Readonly<Record<string, number>>;
  readonly lostReply: LostReplyTrace | undefined;
  /** Feeds one link event of ATM `atm`. */
  linkEvent(atm: number, event: LinkEvent): void;
  /** An operation ended with this outcome (`balance APPROVED`, `withdraw dispensed`, `error …`). */
  operation(kind: string, ok: boolean): void;
  /** Counts something that is not an operation's outcome (`session lost`). */
  note(kind: string): void;
  /** A withdrawal ATM `atm` completed: names the amount of the lost-reply trace if it is that one. */
  withdrawalDone(atm: number, amount: number): void;
  confirmationUnknown(withdrawal: string): void;
  samples(): ChaosSample[];
}

/** Creates a recorder for a run that started at `started` (ms). */
export function createChaosRecorder(started: number, transport: 'tcp' | 'udp'): ChaosRecorder {
  const checker = createExactlyOnceChecker();
  const clients = new Set<string>();
  const unknownConfirmations = new Set<string>();
  const byKind: Record<string, number> = {};
  const buckets = new Map<number, { attempts: number; retries: number; errors: number }>();
  /** Transmission times of withdrawals and confirmations awaiting their reply, by request id. */
  const traces = new Map<string, { op: string; sends: number[] }>();
  /** The ATM whose withdrawal became the lost-reply trace, until its amount is known. */
  let tracedAtm: number | undefined;
  let lostReply: LostReplyTrace | undefined;
  let done = 0;
  let failed = 0;
  let retries = 0;
  const bucket = (at: number): { attempts: number; retries: number; errors: number } => {
    const key = Math.floor((at - started) / SAMPLE_MS);
    let b = buckets.get(key);
    if (b === undefined) {
      b = { attempts: 0, retries: 0, errors: 0 };
      buckets.set(key, b);
    }
    return b;
  };
  return {
    checker,
    clients,
    unknownConfirmations,
    get done() {
      return done;
    },
    get failed() {
      return failed;
    },
    get retries() {
      return retries;
    },
    byKind,
    get lostReply() {
      return lostReply;
    },
    linkEvent(atm, event) {
      const b = bucket(event.at);
      if (event.type === 'failover') return;
      const id = `${event.clientId}:${event.seq}`;
      if (event.type === 'send') {
        clients.add(event.clientId);
        b.attempts++;
        if (event.attempt > 1) {
          b.retries++;
          retries++;
        } else {
          checker.issued(id);
        }
        if (event.op === 'withdraw' || event.op === 'confirm') {
          const trace = traces.get(id) ?? { op: event.op, sends: [] };
          trace.sends.push(event.at);
          traces.set(id, trace);
        }
      } else if (event.type === 'reply') {
        checker.replied(id, event.body);
        checker.acknowledged(id);
        const trace = traces.get(id);
        traces.delete(id);
        if (trace?.op === 'withdraw' && event.replay && lostReply === undefined && trace.sends.length > 1) {
          const first = trace.sends[0] ?? event.at;
          tracedAtm = atm;
          lostReply = { clientId: event.clientId, seq: event.seq, amount: 0, sends: trace.sends.map((at) => at - first), replyAt: event.at - first, transport };
        }
      } else {
        b.errors++;
        traces.delete(id);
      }
    },
    operation(kind, ok) {
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      if (ok) done++;
      else failed++;
    },
    note(kind) {
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    },
    withdrawalDone(atm, amount) {
      if (tracedAtm === atm && lostReply?.amount === 0) {
        lostReply = { ...lostReply, amount, confirmSeq: lostReply.seq + 1 };
        tracedAtm = undefined;
      }
    },
    confirmationUnknown(withdrawal) {
      unknownConfirmations.add(withdrawal);
    },
    samples() {
      return [...buckets].sort(([a], [b]) => a - b).map(([key, b]) => ({ t: key * SAMPLE_MS, ...b }));
    },
  };
}
