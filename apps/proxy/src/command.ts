/**
 * `netlab proxy`: a seeded fault proxy between any client and any server.
 *
 * Contract (later exercises and tests rely on it):
 * - stdout gets exactly one line when ready: `proxy listening on <tcp|udp>://HOST:PORT -> HOST:PORT`
 *   (the real port when --listen asks for 0), and the counters table when it stops;
 * - SIGINT / SIGTERM stop it: counters printed, exit 0;
 * - a bad flag prints one `error: ...` line on stderr and exits non-zero; logs go to stderr.
 */
import { randomInt } from 'node:crypto';
import { CliError, Command, type HostPort, formatUrl, onShutdown, parseHostPort, parseInteger } from '@netlab/cli-kit';
import {
  type DatagramImpairmentOptions,
  type Direction,
  type FaultProxy,
  type ProxyEvent,
  type TcpDirectionImpairments,
  createTcpFaultProxy,
  createUdpFaultProxy,
  formatAddress,
  formatCounters,
  isFaultError,
} from '@netlab/faults';
import { IMPAIRMENT_FLAGS, type Protocol, camel } from './flags.js';

type Values = Readonly<Record<string, unknown>>;

const HELP_FOOTER = `
Directions: "up" is client -> server, "down" is server -> client. Every impairment marked [up/down]
also has -up and -down forms (--loss-up 5%, --latency-down 200) that apply to one direction
only; the plain form applies to both, and a -up/-down form wins over it.

Probabilities are 0.2 or 20%. Durations are milliseconds (250, 250ms) or seconds (2s).
TCP never loses bytes in the middle of a stream: loss shows as stalls, closes and resets.
The same --seed with the same order of connections/clients replays the same decisions.

Examples:
  netlab proxy --protocol udp --listen 127.0.0.1:9000 --upstream 127.0.0.1:5000 --loss 20% --seed 7
  netlab proxy --protocol tcp --listen 127.0.0.1:9000 --upstream 127.0.0.1:5000 --slicer --latency-down 100
`;

/** Builds the `proxy` command (standalone or under `netlab`). */
export function createCommand(): Command {
  const command = new Command('proxy').description(
    'Put seeded network faults between a client and a server, in any language: toxiproxy impairments for TCP, netem impairments for UDP.',
  );
  command
    .addOption(command.createOption('--protocol <protocol>', 'tcp or udp').choices(['tcp', 'udp']).makeOptionMandatory())
    .requiredOption('--listen <host:port>', 'address to listen on; port 0 picks a free one (printed)')
    .requiredOption('--upstream <host:port>', 'the real server to forward to')
    .option('--seed <n>', 'seed for every fault decision (default: random, printed on stderr)', (value) => parseInteger(value, '--seed', 0))
    .option('--verbose', 'log every connection or client on stderr');
  for (const flag of IMPAIRMENT_FLAGS) {
    const spec = flag.arg === undefined ? `--${flag.name}` : `--${flag.name} <${flag.arg.toLowerCase()}>`;
    const tags = [flag.protocol === 'both' ? 'tcp+udp' : flag.protocol, ...(flag.perDirection ? ['up/down'] : [])];
    const add = (name: string, help: string, hidden: boolean): void => {
      const option = command.createOption(spec.replace(`--${flag.name}`, `--${name}`), help);
      const parse = flag.parse;
      if (parse !== undefined) option.argParser((value: string) => parse(value, `--${name}`));
      if (hidden) option.hideHelp();
      command.addOption(option);
    };
    add(flag.name, `[${tags.join(', ')}] ${flag.help}`, false);
    if (flag.perDirection) {
      for (const direction of ['up', 'down'] as const) add(`${flag.name}-${direction}`, `${flag.help} (${direction} only)`, true);
    }
  }
  command.addHelpText('after', HELP_FOOTER);
  command.action(async (values: Values) => {
    await run(values);
  });
  return command;
}

function hostPort(value: unknown): HostPort {
  return parseHostPort(String(value));
}

/** The value of `--name-<direction>`, else of `--name`, else undefined. */
function valueFor(values: Values, name: string, direction: Direction): unknown {
  return values[camel(`${name}-${direction}`)] ?? values[camel(name)];
}

function checkProtocol(values: Values, protocol: Protocol): void {
  for (const flag of IMPAIRMENT_FLAGS) {
    if (flag.protocol === 'both' || flag.protocol === protocol) continue;
    const names = [flag.name, ...(flag.perDirection ? [`${flag.name}-up`, `${flag.name}-down`] : [])];
    const used = names.find((name) => values[camel(name)] !== undefined);
    if (used !== undefined) {
      const hint = flag.otherwise === undefined ? '' : `; ${flag.otherwise}`;
      throw new CliError('ERR_USAGE', `--${used} is a ${flag.protocol.toUpperCase()} impairment, not for --protocol ${protocol}${hint}`);
    }
  }
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

type Loose<T> = { [K in keyof T]?: T[K] | undefined };

/** Builds an options object, leaving out what the user did not set (defaults then apply). */
function defined<T extends object>(entries: Loose<T>): T {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as T;
}

function udpImpairments(values: Values, direction: Direction): DatagramImpairmentOptions {
  const get = (name: string): number | undefined => num(valueFor(values, name, direction));
  return defined<DatagramImpairmentOptions>({
    loss: get('loss'),
    lossCorrelation: get('loss-correlation'),
    duplicate: get('duplicate'),
    reorder: get('reorder'),
    reorderDelayMs: get('reorder-delay'),
    corrupt: get('corrupt'),
    delayMs: get('delay'),
    jitterMs: get('jitter'),
    maxQueuedPackets: num(values.queueLimit),
  });
}

function tcpImpairments(values: Values, direction: Direction): TcpDirectionImpairments {
  const get = (name: string): number | undefined => num(valueFor(values, name, direction));
  const maxBuffer = num(values.maxBuffer);
  return defined<TcpDirectionImpairments>({
    latencyMs: get('latency'),
    jitterMs: get('jitter'),
    bandwidthKBps: get('bandwidth'),
    slicer: valueFor(values, 'slicer', direction) === true ? true : undefined,
    slicerAverageSize: get('slicer-size'),
    slicerSizeVariation: get('slicer-variation'),
    slicerDelayMs: get('slicer-delay'),
    timeoutMs: get('timeout'),
    limitDataBytes: get('limit-data'),
    slowCloseMs: get('slow-close'),
    // One socket read is at most 64 KiB, so a source paused at the mark never reaches the cap.
    highWaterMark: maxBuffer,
    maxBufferedBytes: maxBuffer === undefined ? undefined : maxBuffer + 65_536,
  });
}

function describeEvent(event: ProxyEvent): string {
  switch (event.type) {
    case 'upstream-error':
      return `proxy: ${event.error.message}`;
    case 'closed-by-fault':
      return `proxy: #${event.id} ${event.peer} closed by ${event.reason}`;
    case 'open':
    case 'close':
    case 'reset':
    case 'evicted':
      return `proxy: #${event.id} ${event.peer} ${event.type}`;
    default:
      return '';
  }
}

async function run(values: Values): Promise<void> {
  const protocol = values.protocol === 'udp' ? 'udp' : 'tcp';
  const listen = hostPort(values.listen);
  const upstream = hostPort(values.upstream);
  if (upstream.port === 0) throw new CliError('ERR_USAGE', `invalid --upstream "${String(values.upstream)}": the port must not be 0`);
  checkProtocol(values, protocol);
  const seed = num(values.seed) ?? randomInt(0, 2 ** 31);
  const verbose = values.verbose === true;
  const onEvent = (event: ProxyEvent): void => {
    const line = verbose || event.type === 'upstream-error' ? describeEvent(event) : '';
    if (line !== '') process.stderr.write(`${line}\n`);
  };
  const common = { host: listen.host, port: listen.port, upstreamHost: upstream.host, upstreamPort: upstream.port, seed, onEvent };
  let proxy: FaultProxy;
  try {
    proxy =
      protocol === 'udp'
        ? await createUdpFaultProxy({
            ...common,
            up: udpImpairments(values, 'up'),
            down: udpImpairments(values, 'down'),
            ...defined<{ maxClients?: number; clientIdleMs?: number }>({ maxClients: num(values.maxClients), clientIdleMs: num(values.clientIdle) }),
          })
        : await createTcpFaultProxy({
            ...common,
            up: tcpImpairments(values, 'up'),
            down: tcpImpairments(values, 'down'),
            ...defined<{ resetPeer?: number; resetPeerAfterMs?: number; maxConnections?: number }>({
              resetPeer: num(values.resetPeer),
              resetPeerAfterMs: num(values.resetPeerAfter),
              maxConnections: num(values.maxConnections),
            }),
          });
  } catch (error) {
    if (isFaultError(error, 'ERR_LISTEN')) throw new CliError('ERR_LISTEN', error.message, { cause: error });
    if (isFaultError(error, 'ERR_UPSTREAM_IS_SELF')) throw new CliError('ERR_USAGE', error.message.replace('point the upstream', 'point --upstream'), { cause: error });
    if (isFaultError(error, 'ERR_INVALID_OPTION')) throw new CliError('ERR_USAGE', error.message, { cause: error });
    throw error;
  }
  const started = performance.now();
  process.stderr.write(`proxy: seed ${seed} (replay with --seed ${seed})\n`);
  process.stdout.write(`proxy listening on ${formatUrl(protocol, proxy.host, proxy.port)} -> ${formatAddress(upstream.host, upstream.port)}\n`);
  onShutdown(async () => {
    const counters = await proxy.close();
    const stats = proxy.stats();
    const sessions = protocol === 'tcp' ? `${stats.sessions} connections` : `${stats.sessions} clients`;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `proxy stopped after ${seconds} s: ${protocol}, seed ${seed}, ${sessions}, ${stats.upstreamErrors} upstream errors\n${formatCounters(counters)}\n`,
    );
  });
}
