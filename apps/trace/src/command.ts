/**
 * `netlab trace`: views of a netlab trace (JSON lines, docs/trace.md).
 *
 *   netlab trace pcap TRACE -o FILE.pcapng     a capture Wireshark and tshark open
 *   netlab trace diagram TRACE [--svg FILE]    a Mermaid sequence diagram (stdout), or an SVG file
 *   netlab trace stats TRACE [--json]          messages, bytes, retransmissions, loss, round trips
 *
 * TRACE is a file or `-` for standard input. A bad trace line or flag prints one line,
 * `error: …` (with the line number for a bad record), and exits 1; nothing is written then.
 */
import { writeFile } from 'node:fs/promises';
import { CliError, Command, parseInteger } from '@netlab/cli-kit';
import {
  DEFAULT_MAX_STEPS,
  type TraceRecord,
  computeStats,
  formatStats,
  isTraceError,
  readTrace,
  traceToMermaid,
  traceToPcapng,
  traceToSvg,
} from '@netlab/trace';

const FORMAT_HELP = 'TRACE is a netlab trace file (one JSON record per line, see docs/trace.md), or - for standard input.';

async function load(source: string): Promise<TraceRecord[]> {
  try {
    return await readTrace(source === '-' ? process.stdin : source);
  } catch (error) {
    if (isTraceError(error)) {
      const where = source === '-' ? 'standard input' : source;
      throw new CliError(error.code === 'ERR_READ' ? 'ERR_INPUT' : 'ERR_USAGE', `${where}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

async function save(file: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (error) {
    throw new CliError('ERR_INPUT', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

function pcapCommand(): Command {
  return new Command('pcap')
    .description('Write a pcapng capture of the trace: Ethernet + IPv4/IPv6 + TCP/UDP, handshakes, FIN/RST, one interface per proxy leg, fault decisions as packet comments.')
    .argument('<trace>', 'trace file, or - for stdin')
    .requiredOption('-o, --output <file>', 'the .pcapng file to write')
    .addHelpText(
      'after',
      `\n${FORMAT_HELP}\n\nExamples:\n  netlab trace pcap run.jsonl -o run.pcapng\n  tshark -r run.pcapng -X lua_script:packages/trace/wireshark/netlab.lua\n  wireshark -X lua_script:packages/trace/wireshark/netlab.lua run.pcapng`,
    )
    .action(async (trace: string, options: { output: string }) => {
      const records = await load(trace);
      let bytes: Uint8Array;
      try {
        bytes = traceToPcapng(records);
      } catch (error) {
        if (isTraceError(error)) throw new CliError('ERR_USAGE', `${trace}: ${error.message}`, { cause: error });
        throw error;
      }
      await save(options.output, bytes);
      process.stderr.write(`wrote ${options.output}: ${records.length} records\n`);
    });
}

function diagramCommand(): Command {
  return new Command('diagram')
    .description('Print a Mermaid sequence diagram of the trace (a lane per endpoint, lost messages as -x, fault decisions as notes), or write it as SVG.')
    .argument('<trace>', 'trace file, or - for stdin')
    .option('--svg <file>', 'write an SVG picture instead (no browser needed)')
    .option('-o, --output <file>', 'write the Mermaid text to a file instead of stdout')
    .option('--max-steps <n>', `steps drawn before the rest is summarised as counts (default ${DEFAULT_MAX_STEPS})`, (value) => parseInteger(value, '--max-steps', 1, 100_000))
    .option('--title <text>', 'a title for the SVG')
    .addHelpText(
      'after',
      `\n${FORMAT_HELP}\n\nExamples:\n  netlab trace diagram run.jsonl > run.mmd\n  netlab trace diagram run.jsonl --svg run.svg --max-steps 40\n  rsvg-convert -o run.png run.svg`,
    )
    .action(async (trace: string, options: { svg?: string; output?: string; maxSteps?: number; title?: string }) => {
      const records = await load(trace);
      const sequence = options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps };
      if (options.svg !== undefined) {
        await save(options.svg, traceToSvg(records, { ...sequence, ...(options.title === undefined ? {} : { title: options.title }) }));
        process.stderr.write(`wrote ${options.svg}\n`);
        return;
      }
      const text = traceToMermaid(records, sequence);
      if (options.output === undefined) process.stdout.write(text);
      else await save(options.output, text);
    });
}

function statsCommand(): Command {
  return new Command('stats')
    .description('Print messages, bytes, retransmissions, observed loss and round-trip times (min/avg/p99/max) of the trace.')
    .argument('<trace>', 'trace file, or - for stdin')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', `\n${FORMAT_HELP}\n\nExamples:\n  netlab trace stats run.jsonl\n  netlab trace stats run.jsonl --json | jq .rtt`)
    .action(async (trace: string, options: { json?: boolean }) => {
      const stats = computeStats(await load(trace));
      process.stdout.write(options.json === true ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
    });
}

/** Builds the `trace` command (standalone or under `netlab`). */
export { traceTourPart as tourPart } from './tour.js';

export function createCommand(): Command {
  const command = new Command('trace').description('Views of a netlab trace: a pcapng for Wireshark, a sequence diagram, statistics.');
  command.addCommand(pcapCommand());
  command.addCommand(diagramCommand());
  command.addCommand(statsCommand());
  command.addHelpText(
    'after',
    `\n${FORMAT_HELP}\nServers, clients and the proxy write traces with --trace FILE (docs/trace.md).\n\nExamples:\n  netlab trace stats run.jsonl\n  netlab trace pcap run.jsonl -o run.pcapng\n  netlab trace diagram run.jsonl --svg run.svg`,
  );
  return command;
}
