export { TRACE_ERROR_CODES, TraceError, isTraceError } from './errors.js';
export type { TraceErrorCode, TraceErrorOptions } from './errors.js';
export {
  CONNECTION_KINDS,
  DIRECTIONS,
  FAULT_ACTIONS,
  MAX_NAME_LENGTH,
  MAX_NOTE_LENGTH,
  ROLES,
  SIDES,
  TRACE_VERSION,
  TRANSPORTS,
  base64Length,
  dataBytes,
  formatEndpoint,
  hasFlow,
  traceRecordSchema,
} from './record.js';
export type {
  ConnectionKind,
  ConnectionRecord,
  DataRecord,
  Direction,
  Endpoint,
  FaultParameters,
  FaultRecord,
  FlowFields,
  JsonValue,
  KnownFaultAction,
  NoteRecord,
  Role,
  Side,
  TraceRecord,
  Transport,
} from './record.js';
export { DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_RECORDS, parseTrace, parseTraceLine, readTrace, streamTrace } from './read-trace.js';
export type { ReadTraceOptions, TraceSource } from './read-trace.js';
export { DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES, createTraceWriter, preciseNow } from './trace-writer.js';
export type { TraceSink, TraceWriter, TraceWriterOptions, TraceWriterStats } from './trace-writer.js';
export { DEFAULT_MAX_DATA_BYTES, createTracer } from './tracer.js';
export type { FaultDecision, FlowOptions, FlowTracer, Tracer, TracerOptions } from './tracer.js';
export { DEFAULT_LABEL_CHARS, describeData, describeFault, formatFault, maskSecrets, printableText, recordMessages, summarizeMessage } from './describe.js';
export { MAX_UDP_PAYLOAD_BYTES, TCP_SEGMENT_BYTES, internetChecksum, macFor, parseIp, tcpFrame, udpFrame } from './frames.js';
export type { SegmentSpec, TcpSpec } from './frames.js';
export { EPB_INBOUND, EPB_OUTBOUND, LINKTYPE_ETHERNET, enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock } from './pcapng-blocks.js';
export type { PacketOptions } from './pcapng-blocks.js';
export { DEFAULT_PCAPNG_APPLICATION, traceToPcapng } from './trace-to-pcapng.js';
export type { PcapngOptions } from './trace-to-pcapng.js';
export { clientEndpoint, flowKey, localEndpoint, remoteEndpoint, sameEndpoint } from './flows.js';
export { DEFAULT_MAX_STEPS, buildSequence } from './sequence.js';
export type { Lane, Sequence, SequenceOptions, Step } from './sequence.js';
export { escapeMermaid, renderMermaid, summaryText, traceToMermaid } from './mermaid.js';
export { renderSvg, traceToSvg } from './svg.js';
export { computeStats, formatStats, percentile } from './stats.js';
export type { RttStats, TraceStats } from './stats.js';
export { DEFAULT_WIRE_VIEW_BYTES, formatWireView } from './wire-view.js';
export type { WireFraming, WireViewOptions } from './wire-view.js';
