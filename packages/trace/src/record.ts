/**
 * The netlab trace record, format version 1: one JSON object per line (JSON Lines, UTF-8, `\n`).
 * The full reference with every field and examples is docs/trace.md; this header is the summary.
 *
 * Every record:
 *   `v`      1 (the format version; see the versioning rule below)
 *   `t`      time, milliseconds since the Unix epoch, fractions allowed (µs precision)
 *   `kind`   `open` | `end` | `close` | `reset` | `data` | `fault` | `note`
 *   `role`   who emitted it: `server` | `client` | `proxy` | `check`
 *   `label`  a name for the emitter (`echo`, `atm-client`, `proxy`), 1–64 characters
 * Flow fields (required on open/end/close/reset/data, optional on fault/note):
 *   `transport` `tcp` | `udp` | `ws`;  `flow` the connection (TCP) or peer (UDP) id, 1–64 characters;
 *   `side`   proxy only: `client` (the leg between the client and the proxy) or `server` (the leg
 *            between the proxy and the upstream server);
 *   `dir`    `in` (from the remote end to the emitter) or `out` (from the emitter);
 *   `from`, `to`  `{"addr": "127.0.0.1", "port": 7102}`: the sending and receiving endpoints of
 *            this record (for `open`, `from` is the side that connected; for `end` and `reset`,
 *            the side that half-closed or reset).
 * `data`:  `len` (bytes carried), `bytes` (base64 of at most `len` bytes; fewer only with
 *          `truncated: true`), optional `messages` (the decoded messages these bytes complete: a
 *          string per text line, the parsed value per JSON frame).
 * `fault`: `action` (`drop`, `delay`, `duplicate`, `slice`, `reset`, `corrupt`, `reorder`,
 *          `close`, `throttle` …: lower-case word), `toxic` (the impairment's name: `loss`,
 *          `latency`, `slicer` …), `seed`, and the parameters that apply: `delayMs`, `offset`
 *          (byte offset of a slice), `datagram` (1-based number of the datagram in its direction),
 *          `count`, `bit`, `bytesAffected`.
 * `note`:  `text` (e.g. "answered from the request log").
 *
 * Versioning rule: within v1 fields are only ever added, optional, and readers ignore fields
 * they do not know; a removed or re-interpreted field, or a new `kind`, is version 2. A reader
 * refuses a version it does not know with ERR_UNSUPPORTED_VERSION.
 *
 * Limits (reader): a line is at most `maxLineBytes` (1 MiB by default), a trace at most
 * `maxRecords` records (1,000,000 by default). Writer: `maxDataBytes` per data record (64 KiB).
 */
import { formatHostPort } from '@netlab/ground';
import * as v from 'valibot';

/** The format version this package writes and reads. */
export const TRACE_VERSION = 1;

export const ROLES = ['server', 'client', 'proxy', 'check'] as const;
export type Role = (typeof ROLES)[number];
export const TRANSPORTS = ['tcp', 'udp', 'ws'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const SIDES = ['client', 'server'] as const;
/** Which leg of a proxy a record is about: between client and proxy, or proxy and server. */
export type Side = (typeof SIDES)[number];
export const DIRECTIONS = ['in', 'out'] as const;
/** Relative to the emitter: `in` = received from the remote end, `out` = sent by the emitter. */
export type Direction = (typeof DIRECTIONS)[number];
export const CONNECTION_KINDS = ['open', 'end', 'close', 'reset'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];
/** Fault actions netlab's proxy records (the field accepts any lower-case word, for later additions). */
export const FAULT_ACTIONS = ['drop', 'delay', 'duplicate', 'slice', 'reset', 'corrupt', 'reorder', 'close', 'throttle'] as const;
export type KnownFaultAction = (typeof FAULT_ACTIONS)[number];

/** Longest label, flow id, toxic name or action accepted. */
export const MAX_NAME_LENGTH = 64;
/** Longest note text accepted. */
export const MAX_NOTE_LENGTH = 4096;

/** One end of a flow. `addr` is an IPv4 or IPv6 address in text form. */
export interface Endpoint {
  readonly addr: string;
  readonly port: number;
}

/** A JSON value, as decoded messages are. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

interface Base {
  readonly v: 1;
  readonly t: number;
  readonly role: Role;
  readonly label: string;
}

/** The fields that place a record on a flow. */
export interface FlowFields {
  readonly transport: Transport;
  readonly flow: string;
  readonly side?: Side;
  readonly dir: Direction;
  readonly from: Endpoint;
  readonly to: Endpoint;
}

export interface ConnectionRecord extends Base, FlowFields {
  readonly kind: ConnectionKind;
}

export interface DataRecord extends Base, FlowFields {
  readonly kind: 'data';
  /** Bytes carried on the wire (the original length, even when `bytes` is truncated). */
  readonly len: number;
  /** Base64 of the bytes (all `len` of them unless `truncated`). */
  readonly bytes: string;
  readonly truncated?: true;
  /** The messages these bytes complete, decoded (text lines as strings, JSON frames as values). */
  readonly messages?: readonly JsonValue[];
}

/** Parameters of a fault decision; which ones apply depends on the action. */
export interface FaultParameters {
  /** `delay`: how long the bytes or datagram were held, ms. */
  readonly delayMs?: number;
  /** `slice`: the byte offset (in the chunk) where the stream was cut. */
  readonly offset?: number;
  /** The 1-based number of the datagram (UDP) in its direction of its flow. */
  readonly datagram?: number;
  /** `duplicate`: how many extra copies. */
  readonly count?: number;
  /** `corrupt`: the index of the flipped bit. */
  readonly bit?: number;
  /** How many bytes the decision concerned. */
  readonly bytesAffected?: number;
}

export interface FaultRecord extends Base, Partial<FlowFields>, FaultParameters {
  readonly kind: 'fault';
  readonly action: string;
  readonly toxic: string;
  readonly seed: number;
}

export interface NoteRecord extends Base, Partial<FlowFields> {
  readonly kind: 'note';
  readonly text: string;
}

/** One line of a trace, version 1. */
export type TraceRecord = ConnectionRecord | DataRecord | FaultRecord | NoteRecord;

/** True when the record carries all the flow fields. */
export function hasFlow(record: TraceRecord): record is TraceRecord & FlowFields {
  return record.flow !== undefined && record.transport !== undefined && record.from !== undefined && record.to !== undefined && record.dir !== undefined;
}

const name = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_LENGTH));
const word = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a lower-case word'));
const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const endpoint = v.object({
  addr: v.pipe(v.string(), v.ip()),
  port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65_535)),
});
const base = {
  v: v.literal(TRACE_VERSION),
  t: v.pipe(v.number(), v.finite(), v.minValue(0)),
  role: v.picklist(ROLES),
  label: name,
};
const flowFields = {
  transport: v.picklist(TRANSPORTS),
  flow: name,
  side: v.exactOptional(v.picklist(SIDES)),
  dir: v.picklist(DIRECTIONS),
  from: endpoint,
  to: endpoint,
};
const optionalFlowFields = {
  transport: v.exactOptional(flowFields.transport),
  flow: v.exactOptional(name),
  side: flowFields.side,
  dir: v.exactOptional(flowFields.dir),
  from: v.exactOptional(endpoint),
  to: v.exactOptional(endpoint),
};
const base64 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'), v.check((s) => s.length % 4 === 0, 'must be base64'));

/** Bytes a base64 text of this length decodes to. */
export function base64Length(text: string): number {
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - pad;
}

const dataSchema = v.pipe(
  v.object({
    ...base,
    kind: v.literal('data'),
    ...flowFields,
    len: count,
    bytes: base64,
    truncated: v.exactOptional(v.literal(true)),
    messages: v.exactOptional(v.array(v.custom<JsonValue>(() => true))),
  }),
  v.check(
    (record) => (record.truncated === true ? base64Length(record.bytes) < record.len : base64Length(record.bytes) === record.len),
    'len must be the length of bytes (or more, with truncated: true)',
  ),
);

/** The valibot schema of a v1 record (unknown fields are accepted and dropped). */
export const traceRecordSchema: v.GenericSchema<unknown, TraceRecord> = v.variant('kind', [
  v.object({ ...base, kind: v.picklist(CONNECTION_KINDS), ...flowFields }),
  dataSchema,
  v.object({
    ...base,
    kind: v.literal('fault'),
    ...optionalFlowFields,
    action: word,
    toxic: name,
    seed: v.pipe(v.number(), v.safeInteger()),
    delayMs: v.exactOptional(v.pipe(v.number(), v.finite(), v.minValue(0))),
    offset: v.exactOptional(count),
    datagram: v.exactOptional(count),
    count: v.exactOptional(count),
    bit: v.exactOptional(count),
    bytesAffected: v.exactOptional(count),
  }),
  v.object({ ...base, kind: v.literal('note'), ...optionalFlowFields, text: v.pipe(v.string(), v.maxLength(MAX_NOTE_LENGTH)) }),
]);

/** `127.0.0.1:7102` or `[::1]:7102`. */
export function formatEndpoint(endpoint: Endpoint): string {
  return formatHostPort(endpoint.addr, endpoint.port);
}

/** The bytes of a data record (possibly truncated: compare with `len`). */
export function dataBytes(record: DataRecord): Uint8Array {
  return Buffer.from(record.bytes, 'base64');
}
