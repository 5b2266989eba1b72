/**
 * Round-trip times of a UDP client run, ping style: `rtt min/avg/max 0.21/0.35/0.80 ms`. A
 * round trip is measured from the first transmission of a request to its reply, so it includes
 * the waits before any retransmission (the time a user actually waited).
 */

/** Minimum, mean and maximum round-trip time in milliseconds. */
export interface RttSummary {
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
}

/** Accumulates round-trip times in constant space. */
export interface RttStats {
  add(ms: number): void;
  /** Undefined until one round trip was added. */
  summary(): RttSummary | undefined;
}

export function createRttStats(): RttStats {
  let count = 0;
  let total = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  return {
    add(ms) {
      count += 1;
      total += ms;
      min = Math.min(min, ms);
      max = Math.max(max, ms);
    },
    summary: () => (count === 0 ? undefined : { minMs: min, avgMs: total / count, maxMs: max }),
  };
}

const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0));

/** `rtt min/avg/max 0.21/0.35/0.80 ms` */
export function formatRtt(rtt: RttSummary): string {
  return `rtt min/avg/max ${ms(rtt.minMs)}/${ms(rtt.avgMs)}/${ms(rtt.maxMs)} ms`;
}
