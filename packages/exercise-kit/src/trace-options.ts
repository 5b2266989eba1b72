/**
 * `--trace FILE`, `--pcap FILE` and `--hex`: one option set for every netlab server, client, the
 * proxy and `netlab check`, wired once.
 *
 * `addTraceOptions(command, …)` adds the flags and a `preAction` hook that, when any of them is
 * given, builds one `@netlab/trace` tracer for the process and makes it the process wire tap
 * (`setProcessWireTap` of `@netlab/ground`): every TCP/UDP server and client the command then
 * creates reports to it, with no app passing it along. Without the flags nothing is created and
 * the transports hold `undefined` (tracing off costs one comparison per event).
 *
 * Where the records go, all through one writer (`createTraceWriter`) and a tee of sinks:
 * - `--trace FILE`: appended to FILE. The sink buffers up to 64 KiB and writes synchronously
 *   (`fs.writeSync`) when that fills, at the end of the event-loop turn, and on process exit, so
 *   the file is complete however the program ends (a signal, `process.exit`, an error), and a
 *   record costs no syscall of its own. `--trace -`: each line to stderr.
 * - `--pcap FILE`: records are kept in memory (at most {@link MAX_PCAP_TRACE_BYTES}; past it
 *   they are dropped and counted, and the capture says so in a comment) and turned into a pcapng
 *   on exit (`traceToPcapng`): the same file `netlab trace pcap` writes from a trace.
 * - `--hex`: each data record's wire view (`formatWireView`: bytes, frame boundaries) on stderr.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { CliError, type Command } from '@netlab/cli-kit';
import { type WireTap, setProcessWireTap } from '@netlab/ground';
import { type Role, type TraceSink, type Tracer, createTraceWriter, createTracer, formatWireView, parseTrace, parseTraceLine, traceToPcapng } from '@netlab/trace';

/** Most trace text `--pcap` keeps in memory before it drops records: 64 MiB. */
export const MAX_PCAP_TRACE_BYTES = 64 * 1024 * 1024;
/** The `--trace FILE` sink's buffer: written out when it holds this much, 64 KiB. */
export const TRACE_FILE_BUFFER_BYTES = 64 * 1024;

/** The flags as commander parses them. */
export interface TraceFlags {
  /** `--trace FILE` (`-` = stderr). */
  readonly trace?: string;
  /** `--pcap FILE`. */
  readonly pcap?: string;
  /** `--hex`. */
  readonly hex?: boolean;
}

export interface TraceOptionsConfig {
  /** Who emits the records: `server`, `client`, `proxy`, `check`. Required. */
  readonly role: Role;
  /** The emitter's name in the records (`echo`, `proxy`), 1–64 characters. Required. */
  readonly label: string;
  /** Offer `--pcap`. Default true. */
  readonly pcap?: boolean;
  /** Offer `--hex`. Default false (clients and the proxy offer it). */
  readonly hex?: boolean;
}

/** What the flags started: the tracer (also the process tap) and a way to finish early. */
export interface TraceSession {
  readonly tracer: Tracer;
  /** Flushes the trace file and writes the pcapng now (also done on exit; idempotent). */
  finish(): void;
}

let current: TraceSession | undefined;

/** The tracer the flags started in this process, if any (the proxy and `check` pass it on explicitly). */
export function currentTracer(): Tracer | undefined {
  return current?.tracer;
}

/** A file sink that writes synchronously in 64 KiB batches, at the end of each turn and on exit. */
function fileSink(path: string): { sink: TraceSink; flush(): void; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw new CliError('ERR_USAGE', `cannot open trace file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let buffered = '';
  let scheduled = false;
  let closed = false;
  const flush = (): void => {
    scheduled = false;
    if (buffered === '' || closed) return;
    const text = buffered;
    buffered = '';
    try {
      writeSync(fd, text);
    } catch {
      // A full disk must not crash the traced program; the trace just ends here.
    }
  };
  return {
    sink: {
      write(text) {
        buffered += text;
        if (buffered.length >= TRACE_FILE_BUFFER_BYTES) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush).unref();
        }
        return true;
      },
    },
    flush,
    close() {
      flush();
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/** Keeps trace lines (bounded) for the pcapng written at exit. */
function pcapCollector(path: string): { sink: TraceSink; write(): void } {
  try {
    closeSync(openSync(path, 'w'));
  } catch (error) {
    throw new CliError('ERR_USAGE', `cannot write pcap file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const lines: string[] = [];
  let bytes = 0;
  let dropped = 0;
  return {
    sink: {
      write(text) {
        if (bytes + text.length > MAX_PCAP_TRACE_BYTES) dropped += 1;
        else {
          lines.push(text);
          bytes += text.length;
        }
        return true;
      },
    },
    write() {
      try {
        const records = parseTrace(lines.join(''));
        const comment = dropped === 0 ? [] : [{ v: 1 as const, t: records.at(-1)?.t ?? 0, kind: 'note' as const, role: 'check' as const, label: 'pcap', text: `${dropped} records dropped: the run passed the --pcap memory cap of ${MAX_PCAP_TRACE_BYTES} bytes` }];
        writeFileSync(path, traceToPcapng([...records, ...comment]));
      } catch (error) {
        process.stderr.write(`error: cannot write pcap file ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    },
  };
}

/** A sink printing the wire view of each data record on stderr. */
function hexSink(): TraceSink {
  let line = 0;
  return {
    write(text) {
      line += 1;
      const record = parseTraceLine(text.trimEnd(), line);
      if (record.kind === 'data') process.stderr.write(`${formatWireView(record)}\n`);
      return true;
    },
  };
}

/**
 * Starts tracing as the flags ask (nothing when none is given): makes the tracer the process
 * wire tap and arranges for the files to be complete on exit. Throws `ERR_USAGE` (a CliError)
 * when a file cannot be opened.
 */
export function startTracing(flags: TraceFlags, config: Pick<TraceOptionsConfig, 'role' | 'label'>): TraceSession | undefined {
  if (flags.trace === undefined && flags.pcap === undefined && flags.hex !== true) return undefined;
  if (current !== undefined) return current;
  const sinks: TraceSink[] = [];
  const file = flags.trace === undefined || flags.trace === '-' ? undefined : fileSink(flags.trace);
  if (file !== undefined) sinks.push(file.sink);
  if (flags.trace === '-') sinks.push(process.stderr);
  const pcap = flags.pcap === undefined ? undefined : pcapCollector(flags.pcap);
  if (pcap !== undefined) sinks.push(pcap.sink);
  if (flags.hex === true) sinks.push(hexSink());
  const only = sinks.length === 1 ? sinks[0] : undefined;
  const tee: TraceSink = only ?? {
    write(text) {
      for (const sink of sinks) sink.write(text);
      return true;
    },
  };
  const writer = createTraceWriter(tee, { end: false });
  const tracer = createTracer(writer, config);
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    file?.close();
    pcap?.write();
  };
  process.once('exit', finish);
  current = { tracer, finish };
  setProcessWireTap(tracer satisfies WireTap);
  return current;
}

/**
 * Adds `--trace FILE`, `--pcap FILE` (unless `pcap: false`) and `--hex` (with `hex: true`) to
 * `command`, and a `preAction` hook that starts tracing when one is given.
 */
export function addTraceOptions(command: Command, config: TraceOptionsConfig): Command {
  command.option('--trace <file>', 'append trace records (JSON lines, docs/trace.md) to FILE; - writes them to stderr');
  if (config.pcap !== false) command.option('--pcap <file>', 'write a pcapng capture of the run to FILE when it ends (tshark -r FILE, Wireshark)');
  if (config.hex === true) command.option('--hex', 'print the wire view of every chunk sent and received on stderr: bytes and frame boundaries');
  return command.hook('preAction', (self) => {
    startTracing(self.opts<TraceFlags>(), config);
  });
}
