/**
 * Toxics: the unit of the control API and of scenario files, in toxiproxy's JSON shape
 * (`{name, type, stream, toxicity, attributes}`), and how a list of them becomes the impairment
 * options of one direction of one connection (TCP) or client (UDP).
 *
 * Invariants:
 * - Toxics apply in the order they were added; several of one type add up (two latencies sum,
 *   two losses compound) or the strictest wins (bandwidth, limit_data, timeout), as in a chain.
 * - `toxicity` is decided once per link (one direction of one connection or client) and toxic,
 *   from the link's seeded PRNG (`toxicity:<name>`), so it replays and survives updates: raising
 *   the toxicity only ever adds links.
 * - Attributes are numbers; an unknown type, an unknown attribute or a value out of range is an
 *   ERR_INVALID_TOXIC naming it. Missing attributes default as in toxiproxy (0), except where
 *   0 makes no sense (slicer `average_size`, reorder `delay`).
 */
import * as v from 'valibot';
import type { Direction } from './counters.js';
import type { DatagramImpairmentOptions } from './datagram-impairments.js';
import { DEFAULT_REORDER_DELAY_MS, MAX_DELAY_MS } from './datagram-impairments.js';
import { FaultError } from './errors.js';
import type { FaultCause } from './fault-decision.js';
import type { StreamImpairmentOptions } from './stream-impairments.js';
import { DEFAULT_SLICER_AVERAGE_SIZE } from './stream-impairments.js';

/** Which stream a toxic affects: toxiproxy's two, plus netlab's `both`. */
export type ToxicStream = 'upstream' | 'downstream' | 'both';

export type TcpToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
export type UdpToxicType = 'loss' | 'duplicate' | 'reorder' | 'corrupt' | 'delay';
/** netlab additions for both protocols. */
export type SharedToxicType = 'drop_first' | 'partition';
export type ToxicType = TcpToxicType | UdpToxicType | SharedToxicType;

/** A validated toxic. */
export interface Toxic {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: ToxicStream;
  /** Probability that the toxic applies to a link, 0 to 1 (toxiproxy's meaning). */
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;
}

interface AttributeSpec {
  /** Default when missing. */
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Below max, never equal (a loss correlation of 1 freezes the chain). */
  readonly maxExclusive?: boolean;
  readonly integer?: boolean;
  /** For messages: `ms`, `bytes`, `KB/s`... */
  readonly unit: string;
}

const MS: AttributeSpec = { default: 0, min: 0, max: MAX_DELAY_MS, unit: 'ms' };
const PROBABILITY: AttributeSpec = { default: 0, min: 0, max: 1, unit: 'probability 0 to 1' };
const BYTES: AttributeSpec = { default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, integer: true, unit: 'bytes' };

/** Every toxic type: its protocols and attributes. */
export const TOXIC_TYPES: Readonly<Record<ToxicType, { readonly protocols: readonly ('tcp' | 'udp')[]; readonly attributes: Readonly<Record<string, AttributeSpec>> }>> = {
  latency: { protocols: ['tcp'], attributes: { latency: MS, jitter: MS } },
  bandwidth: { protocols: ['tcp'], attributes: { rate: { default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'KB/s' } } },
  slow_close: { protocols: ['tcp'], attributes: { delay: MS } },
  timeout: { protocols: ['tcp'], attributes: { timeout: MS } },
  reset_peer: { protocols: ['tcp'], attributes: { timeout: MS } },
  slicer: {
    protocols: ['tcp'],
    attributes: {
      average_size: { default: DEFAULT_SLICER_AVERAGE_SIZE, min: 1, max: Number.MAX_SAFE_INTEGER, integer: true, unit: 'bytes' },
      size_variation: BYTES,
      delay: { default: 0, min: 0, max: MAX_DELAY_MS * 1000, unit: 'µs' },
    },
  },
  limit_data: { protocols: ['tcp'], attributes: { bytes: { ...BYTES, min: 1 } } },
  loss: { protocols: ['udp'], attributes: { probability: PROBABILITY, correlation: { ...PROBABILITY, maxExclusive: true, unit: 'probability 0 to below 1' } } },
  duplicate: { protocols: ['udp'], attributes: { probability: PROBABILITY } },
  reorder: { protocols: ['udp'], attributes: { probability: PROBABILITY, delay: { ...MS, default: DEFAULT_REORDER_DELAY_MS } } },
  corrupt: { protocols: ['udp'], attributes: { probability: PROBABILITY } },
  delay: { protocols: ['udp'], attributes: { delay: MS, jitter: MS } },
  drop_first: { protocols: ['tcp', 'udp'], attributes: { count: { ...BYTES, unit: 'requests' } } },
  partition: { protocols: ['tcp', 'udp'], attributes: {} },
};

/** The other protocol's nearest toxic, for error messages. */
const INSTEAD: Partial<Record<ToxicType, string>> = { latency: 'delay', delay: 'latency' };

const ToxicInput = v.strictObject({
  name: v.optional(v.pipe(v.string(), v.minLength(1, 'name must not be empty'), v.maxLength(200, 'name is longer than 200 characters'))),
  type: v.string('type must be a string'),
  stream: v.optional(v.picklist(['upstream', 'downstream', 'both'], 'stream was invalid, can be either upstream, downstream or both')),
  toxicity: v.optional(v.pipe(v.number('toxicity must be a number'), v.minValue(0, 'toxicity must be from 0 to 1'), v.maxValue(1, 'toxicity must be from 0 to 1'))),
  attributes: v.optional(v.record(v.string(), v.unknown(), 'attributes must be an object')),
});

/** The first valibot issue as `field: message`. */
export function describeIssue(issues: readonly v.BaseIssue<unknown>[], what: string, withPath = true): string {
  const issue = issues[0];
  if (issue === undefined) return `invalid ${what}`;
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  if (issue.type === 'strict_object' || issue.kind === 'validation' && issue.type === 'never') {
    return `unknown field "${path}" in ${what}`;
  }
  if (!withPath) return issue.message;
  return path === '' ? `${issue.message} in ${what}` : `${path}: ${issue.message}`;
}

function invalid(message: string, details: Readonly<Record<string, unknown>>): FaultError {
  return new FaultError('ERR_INVALID_TOXIC', message, { details });
}

/** The toxic named `name`'s default: `<type>_<stream>` as in toxiproxy. */
export function defaultToxicName(type: string, stream: ToxicStream): string {
  return `${type}_${stream}`;
}

/**
 * Validates a toxic (an API body or a scenario entry) for a proxy of `protocol`; fills in
 * toxiproxy's defaults (stream `downstream`, or `both` for partition; toxicity 1; name
 * `<type>_<stream>`). Throws ERR_INVALID_TOXIC naming what is wrong.
 */
export function parseToxic(input: unknown, protocol: 'tcp' | 'udp'): Toxic {
  const parsed = v.safeParse(ToxicInput, input);
  if (!parsed.success) throw invalid(describeIssue(parsed.issues, 'toxic'), { input });
  const body = parsed.output;
  const type = body.type;
  if (!Object.hasOwn(TOXIC_TYPES, type)) {
    const known = Object.keys(TOXIC_TYPES).filter((name) => TOXIC_TYPES[name as ToxicType].protocols.includes(protocol));
    throw invalid(`invalid toxic type "${type}": a ${protocol} proxy takes ${known.join(', ')}`, { type });
  }
  const spec = TOXIC_TYPES[type as ToxicType];
  if (!spec.protocols.includes(protocol)) {
    const instead = INSTEAD[type as ToxicType];
    throw invalid(`toxic type "${type}" is for ${spec.protocols.join('/')} proxies, not ${protocol}${instead === undefined ? '' : `; use "${instead}"`}`, { type, protocol });
  }
  const attributes: Record<string, number> = {};
  for (const [key, value] of Object.entries(body.attributes ?? {})) {
    const attribute = spec.attributes[key];
    if (attribute === undefined) {
      const known = Object.keys(spec.attributes);
      throw invalid(`unknown attribute "${key}" for toxic type "${type}" (${known.length === 0 ? 'it takes none' : `it takes ${known.join(', ')}`})`, { type, attribute: key });
    }
    const tooHigh = attribute.maxExclusive === true ? (value as number) >= attribute.max : (value as number) > attribute.max;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < attribute.min || tooHigh || (attribute.integer === true && !Number.isInteger(value))) {
      const range = `${attribute.integer === true ? 'an integer' : 'a number'} from ${attribute.min} to ${attribute.maxExclusive === true ? 'below ' : ''}${attribute.max}`;
      throw invalid(`attribute "${key}" of toxic type "${type}" must be ${range} (${attribute.unit}), got ${JSON.stringify(value)}`, {
        type,
        attribute: key,
        value,
      });
    }
    attributes[key] = value;
  }
  for (const [key, attribute] of Object.entries(spec.attributes)) attributes[key] ??= attribute.default;
  if (type === 'limit_data' && (attributes.bytes ?? 0) < 1) {
    throw invalid('attribute "bytes" of toxic type "limit_data" is required and must be at least 1 (bytes)', { type, attribute: 'bytes' });
  }
  const stream = body.stream ?? (type === 'partition' ? 'both' : 'downstream');
  return { name: body.name ?? defaultToxicName(type, stream), type: type as ToxicType, stream, toxicity: body.toxicity ?? 1, attributes };
}

/**
 * Applies an update (toxiproxy's `POST /proxies/{p}/toxics/{t}`: `attributes` and `toxicity`;
 * attributes not given keep their value) to a toxic; the name, type and stream stay.
 */
export function updateToxic(toxic: Toxic, update: unknown, protocol: 'tcp' | 'udp'): Toxic {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) throw invalid('a toxic update must be a JSON object', { update });
  const body = update as Record<string, unknown>;
  for (const key of ['name', 'type', 'stream'] as const) {
    if (body[key] !== undefined && body[key] !== toxic[key]) throw invalid(`a toxic's ${key} cannot be changed by an update (delete it and add it again)`, { field: key });
  }
  const attributes = body.attributes === undefined ? {} : body.attributes;
  const merged = typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes) ? { ...toxic.attributes, ...attributes } : attributes;
  return parseToxic({ name: toxic.name, type: toxic.type, stream: toxic.stream, toxicity: body.toxicity ?? toxic.toxicity, attributes: merged }, protocol);
}

/** The JSON form (toxiproxy's field order). */
export function toxicToJson(toxic: Toxic): { name: string; type: string; stream: string; toxicity: number; attributes: Record<string, number> } {
  return { name: toxic.name, type: toxic.type, stream: toxic.stream, toxicity: toxic.toxicity, attributes: { ...toxic.attributes } };
}

/** True when the toxic affects `direction` (`up` = upstream = client → server). */
export function affects(toxic: Toxic, direction: Direction): boolean {
  return toxic.stream === 'both' || (direction === 'up' ? toxic.stream === 'upstream' : toxic.stream === 'downstream');
}

const attr = (toxic: Toxic, name: string): number => toxic.attributes[name] ?? 0;
const compound = (a: number | undefined, b: number): number => 1 - (1 - (a ?? 0)) * (1 - b);
const strictest = (a: number | undefined, b: number): number => (a === undefined || a === 0 ? b : Math.min(a, b));

/** `base` with the TCP toxics in `toxics` (already filtered to this link and direction) added. */
export function streamOptionsWith(base: StreamImpairmentOptions, toxics: readonly Toxic[]): StreamImpairmentOptions {
  const o: { -readonly [K in keyof StreamImpairmentOptions]: StreamImpairmentOptions[K] } = { ...base };
  for (const toxic of toxics) {
    switch (toxic.type) {
      case 'latency':
        o.latencyMs = (o.latencyMs ?? 0) + attr(toxic, 'latency');
        o.jitterMs = (o.jitterMs ?? 0) + attr(toxic, 'jitter');
        break;
      case 'bandwidth':
        // toxiproxy: a rate of 0 or less passes data unthrottled.
        if (attr(toxic, 'rate') > 0) o.bandwidthKBps = strictest(o.bandwidthKBps, attr(toxic, 'rate'));
        break;
      case 'slow_close':
        o.slowCloseMs = (o.slowCloseMs ?? 0) + attr(toxic, 'delay');
        break;
      case 'timeout':
        if (attr(toxic, 'timeout') > 0) o.timeoutMs = strictest(o.timeoutMs, attr(toxic, 'timeout'));
        else o.stall = 'timeout';
        break;
      case 'reset_peer':
        o.resetPeer = 1;
        o.resetPeerAfterMs = attr(toxic, 'timeout');
        o.resetPeerAfterData = true;
        break;
      case 'slicer':
        o.slicer = true;
        o.slicerAverageSize = attr(toxic, 'average_size');
        o.slicerSizeVariation = attr(toxic, 'size_variation');
        o.slicerDelayMs = attr(toxic, 'delay') / 1000;
        break;
      case 'limit_data':
        o.limitDataBytes = strictest(o.limitDataBytes, attr(toxic, 'bytes'));
        break;
      case 'partition':
        o.stall = 'partition';
        break;
      default:
        break; // drop_first is decided by the proxy, per connection; UDP types never reach a TCP link
    }
  }
  return o;
}

/** `base` with the UDP toxics in `toxics` (already filtered to this link and direction) added. */
export function datagramOptionsWith(base: DatagramImpairmentOptions, toxics: readonly Toxic[]): DatagramImpairmentOptions {
  const o: { -readonly [K in keyof DatagramImpairmentOptions]: DatagramImpairmentOptions[K] } = { ...base };
  for (const toxic of toxics) {
    switch (toxic.type) {
      case 'loss':
        o.loss = compound(o.loss, attr(toxic, 'probability'));
        o.lossCorrelation = Math.max(o.lossCorrelation ?? 0, attr(toxic, 'correlation'));
        break;
      case 'duplicate':
        o.duplicate = compound(o.duplicate, attr(toxic, 'probability'));
        break;
      case 'reorder':
        o.reorder = compound(o.reorder, attr(toxic, 'probability'));
        o.reorderDelayMs = attr(toxic, 'delay');
        break;
      case 'corrupt':
        o.corrupt = compound(o.corrupt, attr(toxic, 'probability'));
        break;
      case 'delay':
        o.delayMs = (o.delayMs ?? 0) + attr(toxic, 'delay');
        o.jitterMs = (o.jitterMs ?? 0) + attr(toxic, 'jitter');
        break;
      case 'partition':
        o.blackhole = true;
        break;
      default:
        break;
    }
  }
  return o;
}

/** Which toxic types a decision's cause is attributed to (for per-toxic counters). */
export function causeType(cause: FaultCause): ToxicType | undefined {
  return cause === 'queue' ? undefined : cause;
}
