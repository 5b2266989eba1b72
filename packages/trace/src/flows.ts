/**
 * Who is who on a flow: the key that identifies a flow across records (emitter, proxy leg,
 * transport, flow id) and which end is the client when the trace has no `open` record for it.
 */
import type { Endpoint, FlowFields, TraceRecord } from './record.js';

/** The identity of a flow: the same flow id of two emitters, or of two proxy legs, are two flows. */
export function flowKey(record: TraceRecord & { readonly flow: string }): string {
  return `${record.role}\u0000${record.label}\u0000${record.side ?? ''}\u0000${record.transport ?? ''}\u0000${record.flow}`;
}

/** The emitter's own end of the flow of `record`. */
export function localEndpoint(record: FlowFields): Endpoint {
  return record.dir === 'in' ? record.to : record.from;
}

/** The other end. */
export function remoteEndpoint(record: FlowFields): Endpoint {
  return record.dir === 'in' ? record.from : record.to;
}

/**
 * The client (connecting) end of a flow, judged from the emitter's role: a client's or a
 * checker's own end, a server's remote end; for the proxy, the remote end of its client-side leg
 * and its own end of the server-side leg.
 */
export function clientEndpoint(record: TraceRecord & FlowFields): Endpoint {
  if (record.kind === 'open') return record.from;
  const localIsClient = record.role === 'client' || record.role === 'check' || (record.role === 'proxy' && record.side === 'server');
  return localIsClient ? localEndpoint(record) : remoteEndpoint(record);
}

/** True when two endpoints are the same address and port. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.addr === b.addr;
}
