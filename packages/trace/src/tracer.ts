/**
 * The recorder API adapters call: transports, clients, the fault proxy and `netlab check`.
 *
 * Zero cost when off: an adapter holds `tracer: Tracer | undefined` and
 * `flow: FlowTracer | undefined`, and calls `flow?.data('in', chunk)`; with tracing off that is
 * one comparison with `undefined`, no allocation, no formatting.
 *
 * Cheap when on: a flow's constant part (role, label, transport, flow id, side, both endpoints
 * in both directions) is formatted once, when the flow is created; each record is then one
 * template string: the time, the kind and the bytes in base64 (read straight from the chunk's
 * memory, no copy). Decoded messages, when given, go through JSON.stringify (they are small).
 */
import { TraceError } from './errors.js';
import { type Direction, type Endpoint, type FaultParameters, MAX_NAME_LENGTH, type Role, type Side, TRACE_VERSION, type Transport } from './record.js';
import { type TraceWriter, preciseNow } from './trace-writer.js';

/** Largest number of payload bytes kept per data record: 64 KiB (longer chunks are truncated, `len` keeps the size). */
export const DEFAULT_MAX_DATA_BYTES = 64 * 1024;

export interface TracerOptions {
  /** Who emits the records. */
  readonly role: Role;
  /** A name for the emitter (`echo`, `atm-client`, `proxy`), 1–64 characters. */
  readonly label: string;
  /** The clock, ms since the epoch. Default {@link preciseNow} (µs precision). */
  readonly now?: () => number;
  /** Most payload bytes kept in one data record. Default {@link DEFAULT_MAX_DATA_BYTES}. */
  readonly maxDataBytes?: number;
}

export interface FlowOptions {
  readonly transport: Transport;
  /** The emitter's end of the flow. */
  readonly local: Endpoint;
  /** The other end. */
  readonly remote: Endpoint;
  /** Which end opened the connection (TCP) or sent first (UDP): `remote` for a server. */
  readonly initiator: 'local' | 'remote';
  /** For the proxy: which leg this flow is. */
  readonly side?: Side;
  /** The flow id. Default: a counter per tracer (`1`, `2`, …). */
  readonly id?: string;
}

/** A fault decision as the proxy reports it. */
export interface FaultDecision extends FaultParameters {
  /** `drop`, `delay`, `duplicate`, `slice`, `reset`, `corrupt`, `reorder`, `close`, `throttle`… */
  readonly action: string;
  /** The impairment that decided: `loss`, `latency`, `slicer`, `reset_peer`… */
  readonly toxic: string;
  /** The seed of the proxy's PRNG, so the run can be replayed. */
  readonly seed: number;
}

/** Records the life of one connection (TCP) or one peer (UDP). */
export interface FlowTracer {
  readonly id: string;
  /** The connection opened (the initiator connected). */
  open(): void;
  /** Bytes sent (`out`) or received (`in`), with the messages they complete when known. */
  data(dir: Direction, bytes: Uint8Array, messages?: readonly unknown[]): void;
  /** A half-close: `out` = this end sent FIN, `in` = the remote end did. */
  end(dir: Direction): void;
  /** The connection is fully closed. */
  close(): void;
  /** A reset: `out` = this end reset it, `in` = the remote end did. */
  reset(dir: Direction): void;
  /** A fault decision about traffic of this flow in direction `dir`. */
  fault(dir: Direction, decision: FaultDecision): void;
  /** A note about this flow (`answered from the request log`). */
  note(text: string): void;
}

export interface Tracer {
  /** Starts recording a flow; call `open()` on it for a TCP connection. */
  flow(options: FlowOptions): FlowTracer;
  /** A note not tied to a flow. */
  note(text: string): void;
  /** A fault decision not tied to a flow. */
  fault(decision: FaultDecision): void;
}

const endpointJson = (endpoint: Endpoint): string => `{"addr":${JSON.stringify(endpoint.addr)},"port":${endpoint.port}}`;

function checkEndpoint(endpoint: Endpoint, what: string): void {
  if (typeof endpoint.addr !== 'string' || endpoint.addr === '' || !Number.isInteger(endpoint.port) || endpoint.port < 0 || endpoint.port > 65_535) {
    throw new TraceError('ERR_INVALID_OPTION', `${what} must be an address and a port 0-65535, got ${JSON.stringify(endpoint)}`);
  }
}

function checkName(value: string, what: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new TraceError('ERR_INVALID_OPTION', `${what} must be 1-${MAX_NAME_LENGTH} characters, got ${JSON.stringify(value)}`);
  }
}

const PARAMETERS = ['delayMs', 'offset', 'datagram', 'count', 'bit', 'bytesAffected'] as const;

function faultJson(decision: FaultDecision): string {
  let text = `,"action":${JSON.stringify(decision.action)},"toxic":${JSON.stringify(decision.toxic)},"seed":${decision.seed}`;
  for (const key of PARAMETERS) {
    const value = decision[key];
    if (value !== undefined && Number.isFinite(value)) text += `,"${key}":${value}`;
  }
  return text;
}

/** Creates a recorder that formats records onto `writer`. */
export function createTracer(writer: TraceWriter, options: TracerOptions): Tracer {
  checkName(options.label, 'label');
  const now = options.now ?? preciseNow;
  const maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
  const emitter = `,"role":"${options.role}","label":${JSON.stringify(options.label)}`;
  let flows = 0;

  return {
    flow(flowOptions) {
      checkEndpoint(flowOptions.local, 'local');
      checkEndpoint(flowOptions.remote, 'remote');
      flows += 1;
      const id = flowOptions.id ?? String(flows);
      checkName(id, 'flow id');
      const local = endpointJson(flowOptions.local);
      const remote = endpointJson(flowOptions.remote);
      const side = flowOptions.side === undefined ? '' : `,"side":"${flowOptions.side}"`;
      const common = `${emitter},"transport":"${flowOptions.transport}","flow":${JSON.stringify(id)}${side}`;
      const incoming = `${common},"dir":"in","from":${remote},"to":${local}`;
      const outgoing = `${common},"dir":"out","from":${local},"to":${remote}`;
      const prefix = (dir: Direction): string => (dir === 'in' ? incoming : outgoing);
      const head = (kind: string): string => `{"v":${TRACE_VERSION},"t":${now()},"kind":"${kind}"`;
      return {
        id,
        open() {
          writer.writeLine(`${head('open')}${flowOptions.initiator === 'local' ? outgoing : incoming}}`);
        },
        data(dir, bytes, messages) {
          const len = bytes.byteLength;
          const kept = len > maxDataBytes ? maxDataBytes : len;
          // A Buffer (what sockets give) encodes in place; a plain Uint8Array gets a Buffer view (no copy).
          const base64 = Buffer.isBuffer(bytes) ? bytes.toString('base64', 0, kept) : Buffer.from(bytes.buffer, bytes.byteOffset, kept).toString('base64');
          const truncated = kept < len ? ',"truncated":true' : '';
          const decoded = messages === undefined || messages.length === 0 ? '' : `,"messages":${JSON.stringify(messages)}`;
          writer.writeLine(`${head('data')}${prefix(dir)},"len":${len},"bytes":"${base64}"${truncated}${decoded}}`);
        },
        end(dir) {
          writer.writeLine(`${head('end')}${prefix(dir)}}`);
        },
        close() {
          writer.writeLine(`${head('close')}${flowOptions.initiator === 'local' ? outgoing : incoming}}`);
        },
        reset(dir) {
          writer.writeLine(`${head('reset')}${prefix(dir)}}`);
        },
        fault(dir, decision) {
          writer.writeLine(`${head('fault')}${prefix(dir)}${faultJson(decision)}}`);
        },
        note(text) {
          writer.writeLine(`${head('note')}${common},"text":${JSON.stringify(text)}}`);
        },
      };
    },
    note(text) {
      writer.writeLine(`{"v":${TRACE_VERSION},"t":${now()},"kind":"note"${emitter},"text":${JSON.stringify(text)}}`);
    },
    fault(decision) {
      writer.writeLine(`{"v":${TRACE_VERSION},"t":${now()},"kind":"fault"${emitter}${faultJson(decision)}}`);
    },
  };
}
