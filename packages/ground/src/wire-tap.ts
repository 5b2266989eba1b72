/**
 * The wire tap: the one hook through which transports, the fault proxy and `netlab check` report
 * what they see on the wire (connections opening, half-closing, closing, resetting; bytes in and
 * out; fault decisions). `@netlab/trace`'s `Tracer` is one (structurally: this file only names
 * the shape, so no transport depends on the trace package).
 *
 * Free when off: an adapter holds `WireFlow | undefined` and calls `flow?.data('in', chunk)`; with
 * no tap that is one comparison with `undefined`, no record object built.
 *
 * The process tap: a CLI sets one tap for the whole process (`--trace FILE` on any netlab
 * server or client) with `setProcessWireTap`, and every transport created afterwards without an
 * explicit `tap` option reports to it. That is what makes `--trace` work on every command that
 * uses the transports without each app passing it along.
 */

/** Relative to the reporter: `in` = received from the other end, `out` = sent. */
export type WireDirection = 'in' | 'out';

/** An address in text form (`127.0.0.1`, `::1`) and a port. */
export interface WireEndpoint {
  readonly addr: string;
  readonly port: number;
}

export interface WireFlowOptions {
  readonly transport: 'tcp' | 'udp';
  /** The reporter's end. */
  readonly local: WireEndpoint;
  /** The other end. */
  readonly remote: WireEndpoint;
  /** Which end connected (TCP) or sent first (UDP). */
  readonly initiator: 'local' | 'remote';
  /** For a proxy: the leg (`client` = between the client and the proxy). */
  readonly side?: 'client' | 'server';
  /** A flow id; default: the tap numbers flows itself. */
  readonly id?: string;
}

/** A fault decision, in the trace format's words (`drop`, `loss`, the seed…). */
export interface WireFault {
  readonly action: string;
  readonly toxic: string;
  readonly seed: number;
  readonly delayMs?: number;
  readonly offset?: number;
  /** UDP: the 1-based number of the datagram in its direction. */
  readonly datagram?: number;
  readonly count?: number;
  readonly bit?: number;
  readonly bytesAffected?: number;
}

/** One connection (TCP) or one peer (UDP) as the tap sees it. */
export interface WireFlow {
  readonly id: string;
  open(): void;
  /** Bytes sent or received, with the decoded messages they complete when known. */
  data(dir: WireDirection, bytes: Uint8Array, messages?: readonly unknown[]): void;
  /** A half-close: `out` = this end sent FIN, `in` = the other end did. */
  end(dir: WireDirection): void;
  close(): void;
  /** A reset: `out` = this end reset it, `in` = the other end did. */
  reset(dir: WireDirection): void;
  /** A fault decision about traffic of this flow that arrived in direction `dir`. */
  fault(dir: WireDirection, decision: WireFault): void;
  note(text: string): void;
}

/** Where flows are reported. */
export interface WireTap {
  flow(options: WireFlowOptions): WireFlow;
  note(text: string): void;
}

let processTap: WireTap | undefined;

/** Sets (or with `undefined` clears) the tap every transport created from now on reports to by default. */
export function setProcessWireTap(tap: WireTap | undefined): void {
  processTap = tap;
}

/** The process tap, if a CLI set one (`--trace`, `--pcap`, `--hex`). */
export function processWireTap(): WireTap | undefined {
  return processTap;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`; undefined (a destroyed socket) → a placeholder address. */
export function wireEndpoint(addr: string | undefined, port: number | undefined, fallback = '0.0.0.0'): WireEndpoint {
  const text = addr === undefined || addr === '' ? fallback : addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
  return { addr: text, port: port ?? 0 };
}
