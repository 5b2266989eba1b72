export { formatHostPort, innerMessage, toClientError, toListenError } from './errors.js';
export { DEFAULT_HOST, createClientCommand, createExerciseCommand, createServerCommand, parseServerPort } from './exercise-command.js';
export type { AddressOptions, ExerciseCommandOptions, RoleCommandOptions, ServerAddressOptions } from './exercise-command.js';
export { MAX_PCAP_TRACE_BYTES, TRACE_FILE_BUFFER_BYTES, addTraceOptions, currentTracer, startTracing } from './trace-options.js';
export type { TraceFlags, TraceOptionsConfig, TraceSession } from './trace-options.js';
export { MAX_LOGGED_PAYLOAD_CHARS, formatPayload, isPayloadLogging, logPayloads, setPayloadLogging } from './payload-log.js';
export { DEFAULT_SHUTDOWN_GRACE_MS, peerLabel } from './running-server.js';
export type { RunningServer, ServeCommonOptions } from './running-server.js';
export { LINE_SERVER_TUNING, serveTcp } from './serve-tcp.js';
export { serveWs } from './serve-ws.js';
export type { ServeWsOptions, WsTuning } from './serve-ws.js';
export type { ServeTcpOptions, TcpTuning } from './serve-tcp.js';
export { serveUdp } from './serve-udp.js';
export type { ServeUdpOptions, UdpTuning } from './serve-udp.js';
export { createTextDatagramCodec, createTextLineCodec, isTextLineCodec } from './text-codecs.js';
export type { TextDatagramCodecOptions, TextLineCodecOptions } from './text-codecs.js';
export { DEFAULT_PROMPT, MAX_QUEUED_INPUT_LINES, createLineInput } from './line-input.js';
export type { LineInput, LineInputOptions } from './line-input.js';
export { DEFAULT_CLIENT_CONNECT_TIMEOUT_MS, DEFAULT_LINGER_MS, DEFAULT_REPLY_TIMEOUT_MS, runTcpLineClient } from './tcp-line-client.js';
export type { LineClientMode, LineClientResult, TcpLineClientOptions } from './tcp-line-client.js';
export { assertAnswered, formatSummary, runUdpLineClient } from './udp-line-client.js';
export { createRttStats, formatRtt } from './rtt-stats.js';
export type { RttStats, RttSummary } from './rtt-stats.js';
export type { UdpClientSummary, UdpLineClientOptions } from './udp-line-client.js';
export { outputLines, runTourClient, sayExchange, sayLines, startTourServer } from './tour.js';
export type { ExchangeTranscript } from './tour.js';
export { TOUR_WHO_WIDTH, runTour } from './tour-runner.js';
export type { TourContext, TourPart } from './tour-runner.js';
export {
  SOURCE_CONDITION,
  exerciseEntry,
  nodeArgs,
  programEntry,
  runCliProcess,
  runTs,
  spawnCli,
  spawnTs,
  startServerProcess,
  tsEntryArgs,
} from './cli-process.js';
export type { CliEntry, CliProcess, CliTarget, RunResult, SpawnOptions, StartedServer } from './cli-process.js';
export { addClientTlsOptions, addServerTlsOptions, describeServerTls, resolveClientTls, resolveServerTls } from './tls-options.js';
export type { ClientTlsFlags, ResolvedServerTls, ServerTlsFlags } from './tls-options.js';
