/**
 * A trace → a pcapng capture Wireshark and tshark open without warnings.
 *
 * netlab sees reads and writes, not segments, so TCP is synthesised the way a capture of the same
 * conversation would look on loopback:
 * - a three-way handshake (SYN with MSS, SYN-ACK, ACK) when a connection opens (or, when the trace
 *   starts mid-connection, before its first record; the client is then the remote end of a server,
 *   the local end of a client, and for the proxy the client of its leg);
 * - one PSH/ACK segment per data record (split at {@link TCP_SEGMENT_BYTES}); each end's sequence
 *   number advances by exactly the bytes it sent (+1 for SYN and FIN) and every ACK is the other
 *   end's next sequence number, so there are no gaps ("previous segment not captured") and no
 *   "ACKed unseen segment";
 * - FIN/ACK for each half-close (`end`), FINs for whichever end has not sent one at `close`, then
 *   the last ACK; RST/ACK for `reset`. Records of a flow after its reset or close are ignored.
 * UDP: one datagram per data record. Initial sequence numbers are derived from the flow's number
 * in the trace, so the same trace always gives the same bytes.
 *
 * Interfaces: one per proxy leg (`client-side`, `server-side`), else one (`netlab`). Each packet's
 * `epb_flags` direction is relative to the emitter (outbound when the emitter sent it).
 * Comments: a fault or note becomes an `opt_comment` on the last packet written on its flow (for a
 * proxy: the packet the decision was about, on the leg where it arrived); with no packet yet, on the
 * next one of its flow; a record without a flow goes on the latest packet; what is left goes on the
 * section header. Times: microseconds (`if_tsresol` 6). Records are taken in time order (stable).
 */
import { formatFault } from './describe.js';
import { clientEndpoint, flowKey } from './flows.js';
import { TraceError } from './errors.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SEGMENT_BYTES, TCP_SYN, parseIp, tcpFrame, udpFrame } from './frames.js';
import { EPB_INBOUND, EPB_OUTBOUND, enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock } from './pcapng-blocks.js';
import { type DataRecord, type Endpoint, type FlowFields, type Side, type TraceRecord, dataBytes, formatEndpoint, hasFlow } from './record.js';

/** The application named in the section header. */
export const DEFAULT_PCAPNG_APPLICATION = 'netlab trace';

export interface PcapngOptions {
  /** `shb_userappl` of the section header. Default {@link DEFAULT_PCAPNG_APPLICATION}. */
  readonly application?: string;
}

interface Packet {
  readonly iface: number;
  readonly micros: number;
  readonly frame: Uint8Array;
  readonly direction: number;
  readonly originalLength: number;
  readonly comments: string[];
}

interface Peer {
  readonly endpoint: Endpoint;
  readonly ip: Uint8Array;
  next: number;
  fin: boolean;
}

interface Flow {
  readonly key: string;
  readonly iface: number;
  readonly transport: string;
  /** The emitter's end, as seen in the records. */
  local: string | undefined;
  client: Peer | undefined;
  server: Peer | undefined;
  opened: boolean;
  done: boolean;
  lastPacket: Packet | undefined;
  pending: string[];
}

const IFACE_NAMES: Readonly<Record<string, [string, string]>> = {
  '': ['netlab', 'netlab trace'],
  client: ['client-side', 'netlab proxy: the leg between the client and the proxy'],
  server: ['server-side', 'netlab proxy: the leg between the proxy and the server'],
};


/** Converts trace records to the bytes of a pcapng file. */
export function traceToPcapng(records: readonly TraceRecord[], options: PcapngOptions = {}): Uint8Array {
  const ordered = records.map((record, index) => ({ record, index })).sort((a, b) => a.record.t - b.record.t || a.index - b.index);
  const sides: (Side | '')[] = [];
  for (const { record } of ordered) {
    const side = record.side ?? '';
    if (hasFlow(record) && !sides.includes(side)) sides.push(side);
  }
  if (sides.length === 0) sides.push('');
  const packets: Packet[] = [];
  const flows = new Map<string, Flow>();
  const floating: string[] = [];
  let ipId = 0;
  let flowNumber = 0;

  const emit = (flow: Flow, micros: number, from: Peer, to: Peer, flags: number, payload?: Uint8Array, originalLength?: number): void => {
    let frame: Uint8Array;
    const spec = { src: from.ip, dst: to.ip, srcPort: from.endpoint.port, dstPort: to.endpoint.port, ipId: (ipId = (ipId + 1) & 0xffff) };
    try {
      frame =
        flow.transport === 'udp'
          ? udpFrame(spec, payload ?? new Uint8Array(0))
          : tcpFrame({ ...spec, seq: from.next, ack: to.next, flags, ...(payload === undefined ? {} : { payload }) });
    } catch (error) {
      throw new TraceError('ERR_INVALID_RECORD', `flow ${formatEndpoint(from.endpoint)} -> ${formatEndpoint(to.endpoint)}: ${(error as Error).message}`, { cause: error });
    }
    const outbound = flow.local === formatEndpoint(from.endpoint);
    const headers = frame.length - (payload?.length ?? 0);
    const packet: Packet = {
      iface: flow.iface,
      micros,
      frame,
      direction: outbound ? EPB_OUTBOUND : EPB_INBOUND,
      originalLength: originalLength === undefined ? frame.length : headers + originalLength,
      comments: flow.pending.splice(0),
    };
    if (floating.length > 0) packet.comments.push(...floating.splice(0));
    packets.push(packet);
    flow.lastPacket = packet;
  };

  const peer = (endpoint: Endpoint, isn: number): Peer => ({ endpoint, ip: parseIp(endpoint.addr), next: isn, fin: false });

  const flowOf = (record: TraceRecord & FlowFields): Flow => {
    const key = flowKey(record);
    let flow = flows.get(key);
    if (flow === undefined) {
      flow = {
        key,
        iface: Math.max(0, sides.indexOf(record.side ?? '')),
        transport: record.transport,
        local: undefined,
        client: undefined,
        server: undefined,
        opened: false,
        done: false,
        lastPacket: undefined,
        pending: [],
      };
      flows.set(key, flow);
    }
    flow.local ??= formatEndpoint(record.dir === 'in' ? record.to : record.from);
    return flow;
  };

  const handshake = (flow: Flow, micros: number, client: Endpoint, server: Endpoint): void => {
    flowNumber += 1;
    const c = peer(client, (0x10000000 * (flowNumber % 8) + flowNumber * 1_000_003) >>> 0);
    const s = peer(server, (0x90000000 + flowNumber * 7_000_003) >>> 0);
    flow.client = c;
    flow.server = s;
    flow.opened = true;
    if (flow.transport === 'udp') return;
    emit(flow, micros, c, s, TCP_SYN);
    c.next = (c.next + 1) >>> 0;
    emit(flow, micros, s, c, TCP_SYN | TCP_ACK);
    s.next = (s.next + 1) >>> 0;
    emit(flow, micros, c, s, TCP_ACK);
  };

  const ends = (flow: Flow, record: FlowFields): [Peer, Peer] | undefined => {
    const { client, server } = flow;
    if (client === undefined || server === undefined) return undefined;
    const from = formatEndpoint(record.from);
    if (from === formatEndpoint(client.endpoint)) return [client, server];
    if (from === formatEndpoint(server.endpoint)) return [server, client];
    return undefined;
  };

  const fin = (flow: Flow, micros: number, from: Peer, to: Peer): void => {
    if (from.fin) return;
    emit(flow, micros, from, to, TCP_FIN | TCP_ACK);
    from.next = (from.next + 1) >>> 0;
    from.fin = true;
    if (to.fin) {
      emit(flow, micros, to, from, TCP_ACK);
      flow.done = true;
    }
  };

  const data = (flow: Flow, micros: number, from: Peer, to: Peer, record: DataRecord): void => {
    const bytes = dataBytes(record);
    if (flow.transport === 'udp') {
      emit(flow, micros, from, to, 0, bytes, record.len);
      return;
    }
    if (record.len === 0) return;
    for (let offset = 0; offset < record.len; offset += TCP_SEGMENT_BYTES) {
      const length = Math.min(TCP_SEGMENT_BYTES, record.len - offset);
      const carried = bytes.subarray(offset, offset + length);
      emit(flow, micros, from, to, TCP_PSH | TCP_ACK, carried, length);
      from.next = (from.next + length) >>> 0;
    }
  };

  const comment = (record: TraceRecord, text: string): void => {
    if (record.flow === undefined) {
      const last = packets.at(-1);
      if (last === undefined) floating.push(text);
      else last.comments.push(text);
      return;
    }
    const flow = flows.get(flowKey(record as TraceRecord & { readonly flow: string }));
    if (flow?.lastPacket !== undefined) flow.lastPacket.comments.push(text);
    else if (flow !== undefined) flow.pending.push(text);
    else floating.push(text);
  };

  for (const { record } of ordered) {
    const micros = record.t * 1000;
    if (record.kind === 'fault') {
      comment(record, formatFault(record));
      continue;
    }
    if (record.kind === 'note') {
      comment(record, `netlab ${record.role} ${record.label}: ${record.text}`);
      continue;
    }
    const flow = flowOf(record);
    if (flow.done) continue;
    if (!flow.opened) {
      if (record.kind === 'open') {
        handshake(flow, micros, record.from, record.to);
        continue;
      }
      const client = clientEndpoint(record);
      const server = formatEndpoint(client) === formatEndpoint(record.from) ? record.to : record.from;
      handshake(flow, micros, client, server);
    }
    const pair = ends(flow, record);
    if (pair === undefined) continue;
    const [from, to] = pair;
    switch (record.kind) {
      case 'open':
        break;
      case 'data':
        data(flow, micros, from, to, record);
        break;
      case 'end':
        if (flow.transport !== 'udp') fin(flow, micros, from, to);
        break;
      case 'close':
        if (flow.transport === 'udp') {
          flow.done = true;
          break;
        }
        fin(flow, micros, from, to);
        fin(flow, micros, to, from);
        flow.done = true;
        break;
      case 'reset':
        if (flow.transport !== 'udp') emit(flow, micros, from, to, TCP_RST | TCP_ACK);
        flow.done = true;
        break;
    }
  }
  const leftovers = [...floating, ...[...flows.values()].flatMap((flow) => flow.pending)];
  const blocks: Uint8Array[] = [sectionHeaderBlock(options.application ?? DEFAULT_PCAPNG_APPLICATION, leftovers.length === 0 ? undefined : leftovers.join('\n'))];
  for (const side of sides) {
    const [name, description] = IFACE_NAMES[side] ?? ['netlab', 'netlab trace'];
    blocks.push(interfaceDescriptionBlock(name, description));
  }
  for (const packet of packets) {
    blocks.push(
      enhancedPacketBlock(packet.iface, packet.micros, packet.frame, {
        direction: packet.direction,
        originalLength: packet.originalLength,
        ...(packet.comments.length === 0 ? {} : { comments: packet.comments }),
      }),
    );
  }
  return Buffer.concat(blocks);
}
