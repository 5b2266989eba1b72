/**
 * A trace as a sequence diagram model: lanes and steps, shared by the Mermaid and SVG renderers.
 *
 * - One lane per endpoint (`address:port`), named by its role: the emitter's own end is
 *   `<label> <role>`, the other end `client` or `server`. A proxy's two ends (its listening port
 *   and the port it connects from) are one lane, `proxy`.
 * - Data records are messages, labelled with their decoded messages (PIN-like fields masked);
 *   messages from a flow's client are solid, replies dotted.
 * - Lost, drawn as lost (`-x`): a datagram or chunk the proxy dropped (an extra arrow from the
 *   proxy towards where it was going); a data record dropped by a fault on its own flow; and a
 *   request that was sent again with no reply in between (a UDP datagram repeated byte for byte,
 *   or a request-log envelope with the same client id and seq): its first copy got no answer.
 * - Connection events: `connect`, `FIN` and `RST` as arrows, `closed` as a note; faults and notes
 *   as notes.
 * - Long runs: at most `maxSteps` steps are drawn, then one note counts what was left out.
 */
import { describeData, describeFault, recordMessages } from './describe.js';
import { clientEndpoint, flowKey, localEndpoint, remoteEndpoint, sameEndpoint } from './flows.js';
import { type DataRecord, type Endpoint, type FlowFields, type TraceRecord, formatEndpoint, hasFlow } from './record.js';

/** Steps drawn before a run is summarised. */
export const DEFAULT_MAX_STEPS = 60;

export interface SequenceOptions {
  /** Most steps drawn; the rest is counted in one closing note. Default {@link DEFAULT_MAX_STEPS}. */
  readonly maxSteps?: number;
  /** Longest message label, characters. Default 60. */
  readonly maxLabelChars?: number;
}

export interface Lane {
  /** A diagram-safe identifier (`L1`, `L2`, …). */
  readonly id: string;
  readonly title: string;
}

export type Step =
  | {
      readonly kind: 'message';
      readonly from: number;
      readonly to: number;
      readonly label: string;
      /** A reply (server to client): drawn dotted. */
      readonly reply: boolean;
      /** Drawn as lost (`-x`). */
      lost: boolean;
      /** Connection control (connect, FIN, RST): drawn as an open arrow. */
      readonly control: boolean;
    }
  | { readonly kind: 'note'; readonly over: readonly number[]; readonly text: string };

export interface Sequence {
  readonly lanes: readonly Lane[];
  readonly steps: readonly Step[];
  /** What was not drawn, counted (steps beyond `maxSteps`). */
  readonly omitted: { readonly steps: number; readonly messages: number; readonly lost: number; readonly faults: number; readonly notes: number; readonly events: number };
}

interface FlowState {
  lastRequestKey: string | undefined;
  lastRequestStep: (Step & { kind: 'message' }) | undefined;
  answered: boolean;
  lastData: Partial<Record<'in' | 'out', Step & { kind: 'message' }>>;
}

/** The request-log id (`clientId#seq`) of a request envelope, when the record carries one. */
function requestId(record: DataRecord): string | undefined {
  const messages = recordMessages(record);
  const first = messages?.[0];
  if (messages?.length !== 1 || typeof first !== 'object' || first === null || Array.isArray(first)) return undefined;
  const envelope = first as Readonly<Record<string, unknown>>;
  return envelope.kind === 'request' && typeof envelope.clientId === 'string' && typeof envelope.seq === 'number' ? `${envelope.clientId}#${envelope.seq}` : undefined;
}

/** Builds the sequence model of a trace. */
export function buildSequence(records: readonly TraceRecord[], options: SequenceOptions = {}): Sequence {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const maxLabelChars = options.maxLabelChars ?? 60;
  const ordered = records.map((record, index) => ({ record, index })).sort((a, b) => a.record.t - b.record.t || a.index - b.index);
  const lanes: Lane[] = [];
  const laneOf = new Map<string, number>();
  const proxyEnds = new Set<string>();
  let upstream: Endpoint | undefined;
  for (const { record } of ordered) {
    if (record.role !== 'proxy' || !hasFlow(record)) continue;
    proxyEnds.add(formatEndpoint(localEndpoint(record)));
    if (record.side === 'server') upstream ??= remoteEndpoint(record);
  }
  const lane = (endpoint: Endpoint, title: string): number => {
    const address = formatEndpoint(endpoint);
    const key = proxyEnds.has(address) ? 'proxy' : address;
    const known = laneOf.get(key);
    if (known !== undefined) return known;
    lanes.push({ id: `L${lanes.length + 1}`, title: key === 'proxy' ? `proxy ${[...proxyEnds].join(' / ')}` : `${title} ${address}` });
    laneOf.set(key, lanes.length - 1);
    return lanes.length - 1;
  };
  const titleOf = (record: TraceRecord & FlowFields, endpoint: Endpoint): string => {
    if (sameEndpoint(endpoint, localEndpoint(record))) return `${record.label} ${record.role}`;
    return sameEndpoint(endpoint, clientEndpoint(record)) ? 'client' : 'server';
  };
  const steps: Step[] = [];
  const omitted = { steps: 0, messages: 0, lost: 0, faults: 0, notes: 0, events: 0 };
  const flows = new Map<string, FlowState>();
  const ownLane = new Map<string, number>();
  const push = (step: Step, count: keyof typeof omitted): boolean => {
    if (steps.length < maxSteps) {
      steps.push(step);
      return true;
    }
    omitted.steps += 1;
    omitted[count] += 1;
    if (step.kind === 'message' && step.lost) omitted.lost += 1;
    return false;
  };

  for (const { record } of ordered) {
    if (!hasFlow(record)) {
      const own = record.flow === undefined ? undefined : ownLane.get(flowKey(record as TraceRecord & { readonly flow: string }));
      const over = own !== undefined ? [own] : lanes.length === 0 ? [] : [0];
      if (record.kind === 'fault') push({ kind: 'note', over, text: `${record.label}: ${describeFault(record)}` }, 'faults');
      else push({ kind: 'note', over, text: record.text }, 'notes');
      continue;
    }
    const from = lane(record.from, titleOf(record, record.from));
    const to = lane(record.to, titleOf(record, record.to));
    const key = flowKey(record);
    ownLane.set(key, sameEndpoint(record.from, localEndpoint(record)) ? from : to);
    let flow = flows.get(key);
    if (flow === undefined) {
      flow = { answered: true, lastData: {}, lastRequestKey: undefined, lastRequestStep: undefined };
      flows.set(key, flow);
    }
    const fromClient = sameEndpoint(record.from, clientEndpoint(record));
    switch (record.kind) {
      case 'open':
        push({ kind: 'message', from, to, label: 'connect', reply: false, lost: false, control: true }, 'events');
        break;
      case 'end':
        push({ kind: 'message', from, to, label: 'FIN (half-close)', reply: !fromClient, lost: false, control: true }, 'events');
        break;
      case 'reset':
        push({ kind: 'message', from, to, label: 'RST (reset)', reply: !fromClient, lost: false, control: true }, 'events');
        break;
      case 'close':
        push({ kind: 'note', over: [from, to], text: 'connection closed' }, 'events');
        break;
      case 'data': {
        const step = { kind: 'message' as const, from, to, label: describeData(record, maxLabelChars), reply: !fromClient, lost: false, control: false };
        if (fromClient) {
          const id = requestId(record) ?? (record.transport === 'udp' ? `udp:${record.bytes}` : undefined);
          // The proxy receives every copy: a copy is lost only beyond it (its drop faults say so).
          if (record.role !== 'proxy' && id !== undefined && id === flow.lastRequestKey && !flow.answered && flow.lastRequestStep !== undefined) {
            flow.lastRequestStep.lost = true;
          }
          flow.lastRequestKey = id;
          flow.answered = false;
          if (push(step, 'messages')) flow.lastRequestStep = step;
          else flow.lastRequestStep = undefined;
        } else {
          flow.answered = true;
          push(step, 'messages');
        }
        flow.lastData[record.dir] = step;
        break;
      }
      case 'fault': {
        const proxied = record.role === 'proxy' && record.side !== undefined;
        if (record.action === 'drop' && proxied && record.dir === 'in') {
          // The proxy received it and did not pass it on: draw where it was going, lost.
          const last = flow.lastData.in;
          const target = record.side === 'client' ? (upstream === undefined ? undefined : lane(upstream, 'server')) : lane(remoteEndpointOfClientLeg(ordered, record) ?? record.from, 'client');
          if (target !== undefined) {
            push({ kind: 'message', from: to, to: target, label: `${last?.label ?? 'data'} (dropped)`, reply: record.side === 'server', lost: true, control: false }, 'messages');
          }
        } else if (record.action === 'drop' && !proxied) {
          const last = flow.lastData[record.dir];
          if (last !== undefined) last.lost = true;
        }
        push({ kind: 'note', over: [proxied ? to : (ownLane.get(key) ?? from)], text: `${record.label}: ${describeFault(record)}` }, 'faults');
        break;
      }
      case 'note':
        push({ kind: 'note', over: [to], text: record.text }, 'notes');
        break;
    }
  }
  return { lanes, steps, omitted };
}

/** For a drop on the proxy's server-side leg (a reply), the client it was going back to: the client of the latest client-side flow. */
function remoteEndpointOfClientLeg(ordered: readonly { readonly record: TraceRecord }[], fault: TraceRecord): Endpoint | undefined {
  let found: Endpoint | undefined;
  for (const { record } of ordered) {
    if (record.t > fault.t) break;
    if (record.role === 'proxy' && record.side === 'client' && hasFlow(record)) found = remoteEndpoint(record);
  }
  return found;
}
