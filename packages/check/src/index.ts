export { CHECK_ERROR_CODES, CaseFailure, CheckError, isCaseFailure } from './errors.js';
export type { CheckErrorCode } from './errors.js';
export { DEFAULT_MAX_SHOWN_CHARS, showBytes, showExpectation } from './escape.js';
export { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_REPLY_TIMEOUT_MS } from './case.js';
export type {
  BaseCaseContext,
  CaseNeed,
  CaseResult,
  CaseStatus,
  CheckReport,
  ClientCase,
  ClientCaseContext,
  ClientSuite,
  Endpoint,
  ServerCase,
  ServerCaseContext,
  ServerSuite,
  Suite,
  TcpFaultSpec,
  UdpFaultSpec,
} from './case.js';
export { DEFAULT_PROBE_CONNECT_TIMEOUT_MS, DEFAULT_PROBE_MAX_BUFFERED_BYTES, connectTcpProbe } from './tcp-probe.js';
export type { ExpectOptions, TcpProbe, TcpProbeOptions } from './tcp-probe.js';
export { DEFAULT_PROBE_MAX_QUEUED_DATAGRAMS, datagramText, openUdpProbe } from './udp-probe.js';
export type { UdpProbe, UdpProbeOptions } from './udp-probe.js';
export { freePort, isPortTaken } from './free-port.js';
export { DEFAULT_OUTPUT_TAIL_BYTES, killAllTargets, liveTargetCount, spawnGroup } from './process-group.js';
export type { GroupProcess } from './process-group.js';
export { DEFAULT_START_TIMEOUT_MS, DEFAULT_STOP_GRACE_MS, createServerTarget, fillCommand, parseHostPort } from './server-target.js';
export type { ServerTarget, ServerTargetSpec } from './server-target.js';
export { createClientRunner } from './client-process.js';
export type { ClientRunOptions, ClientRunResult, ClientRunner } from './client-process.js';
export { CLEANUP_TIMEOUT_MS, DEFAULT_TIME_SCALE, MAX_TIME_SCALE, runClientSuite, runServerSuite, selectCases } from './runner.js';
export type { RunOptions } from './runner.js';
export { REPORT_FORMATS, formatProgressLine, formatReport, parseReportFormat } from './report.js';
export type { FormatOptions, ReportFormat } from './report.js';
export { CLIENT_SUITES, PENDING_SUITES, SERVER_SUITES, findSuite } from './builtin-suites.js';
export { MAX_CASE_STEPS, MAX_SEND_BYTES, MAX_SUITE_CASES, MAX_SUITE_FILE_BYTES, MAX_SUITE_WAIT_MS, loadSuiteFile, parseSuiteFile } from './suite-file.js';
