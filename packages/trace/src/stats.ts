/**
 * Statistics of a trace: flows, messages, bytes, retransmissions, observed loss, round-trip times.
 *
 * Vantage point: a proxy trace records every message twice (arriving on one leg, leaving on the
 * other); counts and times are taken on its client-side leg (what the client experienced) and the
 * proxy's drops are reported on their own. Any other trace is counted as recorded.
 *
 * Definitions:
 * - messages: decoded messages when the records carry them (or length-prefixed JSON frames are
 *   found in the bytes), else one per data record (chunk or datagram);
 * - a retransmission: a client's UDP datagram equal byte for byte to its previous one with no
 *   reply in between, or a request-log request whose (clientId, seq) the flow has already carried;
 * - unanswered requests (observed loss): request-log requests whose id never got a reply; UDP
 *   datagrams followed by no reply before the next new request or the end; a TCP flow whose last
 *   request got no reply by the end (a stream may pipeline, so earlier ones are not judged);
 *   and, for the proxy, the datagrams/chunks it dropped out of those that reached it;
 * - round-trip time: from a client's request to its reply (matched by request-log id, else the
 *   first reply on the flow), at the emitter's clock; a request that was retransmitted gives no
 *   sample (Karn's rule: the reply cannot be matched to one copy). p99 is the nearest-rank
 *   percentile.
 */
import { recordMessages } from './describe.js';
import { clientEndpoint, flowKey, sameEndpoint } from './flows.js';
import { type FlowFields, type TraceRecord, hasFlow } from './record.js';

export interface RttStats {
  readonly samples: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface TraceStats {
  readonly records: number;
  /** Seconds from the first to the last record. */
  readonly durationS: number;
  readonly flows: { readonly tcp: number; readonly udp: number; readonly ws: number };
  readonly messages: { readonly fromClients: number; readonly fromServers: number };
  readonly chunks: { readonly fromClients: number; readonly fromServers: number };
  readonly bytes: { readonly fromClients: number; readonly fromServers: number };
  readonly retransmissions: number;
  readonly loss: {
    /** Requests from clients. */
    readonly requests: number;
    /** Requests with no reply before the next request or the end. */
    readonly unanswered: number;
    /** Datagrams or chunks that reached the proxy. */
    readonly proxied: number;
    /** Of those, dropped by a fault. */
    readonly dropped: number;
  };
  readonly faults: Readonly<Record<string, number>>;
  readonly resets: number;
  readonly notes: number;
  /** Undefined when no request got a reply. */
  readonly rtt: RttStats | undefined;
}

interface FlowState {
  /** Plain requests (no request-log id): the one awaiting its first reply. */
  pendingSince: number | undefined;
  pendingKey: string | undefined;
  retransmitted: boolean;
  answered: boolean;
  /** Request-log requests awaiting a reply: id → first send time, retransmitted. */
  readonly open: Map<string, { readonly t: number; retransmitted: boolean }>;
  /** Request-log ids already answered (so a late retransmission is still one). */
  readonly done: Set<string>;
}

/** Most request ids remembered per flow (open or answered) for retransmission detection. */
const MAX_IDS_PER_FLOW = 100_000;

/** `clientId#seq` of a single request-log envelope of `kind`, else undefined. */
function envelopeId(messages: readonly unknown[] | undefined, kind: 'request' | 'reply'): string | undefined {
  const first = messages?.[0];
  if (messages?.length !== 1 || typeof first !== 'object' || first === null || Array.isArray(first)) return undefined;
  const envelope = first as Readonly<Record<string, unknown>>;
  return envelope.kind === kind && typeof envelope.clientId === 'string' && typeof envelope.seq === 'number' ? `${envelope.clientId}#${envelope.seq}` : undefined;
}

/** p-th percentile (0–100) by nearest rank of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? Number.NaN;
}

/** Computes the statistics of a trace. */
export function computeStats(records: readonly TraceRecord[]): TraceStats {
  const ordered = records.map((record, index) => ({ record, index })).sort((a, b) => a.record.t - b.record.t || a.index - b.index);
  const proxied = records.some((record) => record.role === 'proxy' && record.side !== undefined);
  const counted = (record: TraceRecord & FlowFields): boolean => !proxied || record.role !== 'proxy' || record.side === 'client';
  const flows = new Map<string, FlowState>();
  const transports = { tcp: new Set<string>(), udp: new Set<string>(), ws: new Set<string>() };
  const messages = { fromClients: 0, fromServers: 0 };
  const chunks = { fromClients: 0, fromServers: 0 };
  const bytes = { fromClients: 0, fromServers: 0 };
  const loss = { requests: 0, unanswered: 0, proxied: 0, dropped: 0 };
  const faults: Record<string, number> = {};
  const samples: number[] = [];
  let retransmissions = 0;
  let resets = 0;
  let notes = 0;

  for (const { record } of ordered) {
    if (record.kind === 'note') {
      notes += 1;
      continue;
    }
    if (record.kind === 'fault') {
      faults[record.action] = (faults[record.action] ?? 0) + 1;
      if (record.action === 'drop' && record.role === 'proxy') loss.dropped += 1;
      continue;
    }
    if (!hasFlow(record)) continue;
    if (record.role === 'proxy' && record.kind === 'data' && record.dir === 'in') loss.proxied += 1;
    if (!counted(record)) continue;
    const key = flowKey(record);
    transports[record.transport].add(key);
    let flow = flows.get(key);
    if (flow === undefined) {
      flow = { pendingSince: undefined, pendingKey: undefined, retransmitted: false, answered: true, open: new Map(), done: new Set() };
      flows.set(key, flow);
    }
    if (record.kind === 'reset') resets += 1;
    if (record.kind !== 'data') continue;
    const decoded = recordMessages(record);
    const count = decoded?.length ?? 1;
    const fromClient = sameEndpoint(record.from, clientEndpoint(record));
    if (fromClient) {
      messages.fromClients += count;
      chunks.fromClients += 1;
      bytes.fromClients += record.len;
      const id = envelopeId(decoded, 'request');
      if (id !== undefined) {
        const waiting = flow.open.get(id);
        if (waiting !== undefined || flow.done.has(id)) {
          retransmissions += 1;
          if (waiting !== undefined) waiting.retransmitted = true;
        } else {
          loss.requests += 1;
          if (flow.open.size + flow.done.size < MAX_IDS_PER_FLOW) flow.open.set(id, { t: record.t, retransmitted: false });
        }
        continue;
      }
      const key = record.transport === 'udp' ? record.bytes : undefined;
      if (key !== undefined && key === flow.pendingKey && !flow.answered) {
        retransmissions += 1;
        flow.retransmitted = true;
        continue;
      }
      loss.requests += 1;
      // Over UDP every datagram is a request: one still unanswered when the next goes out is lost.
      // A TCP stream may pipeline, so only a request left unanswered at the end counts.
      if (!flow.answered && record.transport === 'udp') loss.unanswered += 1;
      if (flow.answered || record.transport === 'udp') {
        flow.pendingSince = record.t;
        flow.retransmitted = false;
      }
      flow.pendingKey = key;
      flow.answered = false;
    } else {
      messages.fromServers += count;
      chunks.fromServers += 1;
      bytes.fromServers += record.len;
      const id = envelopeId(decoded, 'reply');
      if (id !== undefined) {
        const waiting = flow.open.get(id);
        if (waiting !== undefined) {
          if (!waiting.retransmitted) samples.push(record.t - waiting.t);
          flow.open.delete(id);
          if (flow.open.size + flow.done.size < MAX_IDS_PER_FLOW) flow.done.add(id);
        }
        continue;
      }
      if (!flow.answered && flow.pendingSince !== undefined && !flow.retransmitted) samples.push(record.t - flow.pendingSince);
      flow.answered = true;
    }
  }
  for (const flow of flows.values()) {
    if (!flow.answered) loss.unanswered += 1;
    loss.unanswered += flow.open.size;
  }
  samples.sort((a, b) => a - b);
  const first = ordered[0]?.record.t ?? 0;
  const last = ordered.at(-1)?.record.t ?? 0;
  return {
    records: records.length,
    durationS: (last - first) / 1000,
    flows: { tcp: transports.tcp.size, udp: transports.udp.size, ws: transports.ws.size },
    messages,
    chunks,
    bytes,
    retransmissions,
    loss,
    faults,
    resets,
    notes,
    rtt:
      samples.length === 0
        ? undefined
        : {
            samples: samples.length,
            minMs: samples[0] ?? 0,
            avgMs: samples.reduce((sum, value) => sum + value, 0) / samples.length,
            p99Ms: percentile(samples, 99),
            maxMs: samples.at(-1) ?? 0,
          },
  };
}

const ms = (value: number): string => (value < 10 ? value.toFixed(3) : value.toFixed(1));
const pct = (part: number, whole: number): string => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`);

/** The statistics as an aligned two-column table. */
export function formatStats(stats: TraceStats): string {
  const rows: [string, string][] = [
    ['records', `${stats.records} over ${stats.durationS.toFixed(3)} s`],
    ['flows', `${stats.flows.tcp} tcp, ${stats.flows.udp} udp${stats.flows.ws > 0 ? `, ${stats.flows.ws} ws` : ''}`],
    ['messages', `${stats.messages.fromClients + stats.messages.fromServers} (${stats.messages.fromClients} from clients, ${stats.messages.fromServers} from servers)`],
    ['chunks/datagrams', `${stats.chunks.fromClients + stats.chunks.fromServers} (${stats.chunks.fromClients} from clients, ${stats.chunks.fromServers} from servers)`],
    ['bytes', `${stats.bytes.fromClients + stats.bytes.fromServers} (${stats.bytes.fromClients} from clients, ${stats.bytes.fromServers} from servers)`],
    ['retransmissions', String(stats.retransmissions)],
    ['unanswered', `${stats.loss.unanswered} of ${stats.loss.requests} requests (${pct(stats.loss.unanswered, stats.loss.requests)})`],
  ];
  if (stats.loss.proxied > 0 || stats.loss.dropped > 0) rows.push(['dropped by proxy', `${stats.loss.dropped} of ${stats.loss.proxied} (${pct(stats.loss.dropped, stats.loss.proxied)})`]);
  const faultList = Object.entries(stats.faults).map(([action, count]) => `${action} ${count}`);
  rows.push(['faults', faultList.length === 0 ? 'none' : faultList.join(', ')]);
  if (stats.resets > 0) rows.push(['resets', String(stats.resets)]);
  rows.push([
    'rtt (ms)',
    stats.rtt === undefined
      ? 'no request got a reply'
      : `min ${ms(stats.rtt.minMs)}  avg ${ms(stats.rtt.avgMs)}  p99 ${ms(stats.rtt.p99Ms)}  max ${ms(stats.rtt.maxMs)}  (${stats.rtt.samples} samples)`,
  ]);
  const width = Math.max(...rows.map(([name]) => name.length));
  return `${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n`;
}
