/**
 * One fault decision, as the sans-I/O models report it to whoever observes them (the proxies turn
 * it into a `fault` event with the flow, direction and seed; see docs/faults.md, "Events").
 *
 * Positions: for a TCP direction `offset` is the byte offset of the affected bytes in that
 * direction's stream (0 = the first byte the client or server sent); for a UDP direction
 * `datagram` is the datagram's number in that direction (0 = the first one). Observing costs
 * nothing when no observer is attached: the models build a decision only when one is.
 */

/** What was decided. */
export type FaultDecisionKind =
  | 'dropped'
  | 'delayed'
  | 'duplicated'
  | 'sliced'
  | 'reset'
  | 'corrupted'
  | 'reordered'
  | 'stalled'
  | 'closed'
  | 'overflowed';

/** The impairment that made the decision (a toxic type name). */
export type FaultCause =
  | 'latency'
  | 'bandwidth'
  | 'slicer'
  | 'timeout'
  | 'reset_peer'
  | 'limit_data'
  | 'slow_close'
  | 'loss'
  | 'duplicate'
  | 'reorder'
  | 'corrupt'
  | 'delay'
  | 'drop_first'
  | 'partition'
  | 'queue';

export interface FaultDecision {
  readonly decision: FaultDecisionKind;
  readonly cause: FaultCause;
  /** TCP: byte offset of the affected bytes in this direction. */
  readonly offset?: number;
  /** TCP: how many bytes; UDP: the datagram's size. */
  readonly length?: number;
  /** UDP: the datagram's number in this direction, from 0. */
  readonly datagram?: number;
  /** `delayed`: by how many ms (planned when decided). */
  readonly delayMs?: number;
  /** `sliced`: the stream offsets where the chunk was cut (each starts a new slice). */
  readonly cuts?: readonly number[];
  /** `corrupted`: the byte (within the datagram) and the bit (0 = least significant) flipped. */
  readonly byte?: number;
  readonly bit?: number;
}

/** Receives decisions as they are made. */
export type DecisionObserver = (decision: FaultDecision) => void;
