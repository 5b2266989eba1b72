/**
 * A fault decision in the trace format's words (`@netlab/trace`, docs/trace.md "fault"): what
 * the proxies hand to a wire tap (`--trace` on `netlab proxy`), with the seed that replays it.
 */
import type { WireFault } from '@netlab/ground';
import type { FaultDecision, FaultDecisionKind } from './fault-decision.js';

const ACTIONS: Readonly<Record<FaultDecisionKind, string>> = {
  dropped: 'drop',
  delayed: 'delay',
  duplicated: 'duplicate',
  sliced: 'slice',
  reset: 'reset',
  corrupted: 'corrupt',
  reordered: 'reorder',
  stalled: 'stall',
  closed: 'close',
  overflowed: 'overflow',
};

/** `{ decision: 'dropped', cause: 'loss', datagram: 1 }` → `{ action: 'drop', toxic: 'loss', seed, datagram: 2 }` (1-based datagrams, in-chunk slice offset). */
export function toWireFault(decision: FaultDecision, seed: number): WireFault {
  const firstCut = decision.cuts?.[0];
  return {
    action: ACTIONS[decision.decision],
    toxic: decision.cause,
    seed,
    ...(decision.delayMs === undefined ? {} : { delayMs: Math.round(decision.delayMs * 1000) / 1000 }),
    ...(decision.decision === 'sliced' && firstCut !== undefined ? { offset: firstCut - (decision.offset ?? 0) } : {}),
    ...(decision.datagram === undefined ? {} : { datagram: decision.datagram + 1 }),
    ...(decision.decision === 'duplicated' ? { count: 1 } : {}),
    ...(decision.bit === undefined ? {} : { bit: decision.bit }),
    ...(decision.length === undefined ? {} : { bytesAffected: decision.length }),
  };
}
