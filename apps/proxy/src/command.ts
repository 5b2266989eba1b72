/**
 * `netlab proxy`: a seeded fault proxy between any client and any server, and `netlab proxy
 * serve`: the same proxies under live control through the toxiproxy-compatible HTTP API.
 *
 * Contract (later exercises and tests rely on it):
 * - stdout gets one line per proxy when ready: `proxy listening on <tcp|udp>://HOST:PORT -> HOST:PORT`
 *   (the real port when --listen asks for 0; ` (NAME)` follows for proxies named in --config),
 *   `api listening on http://HOST:PORT` with --api, and the counters table of each proxy when it
 *   stops (and every --stats-every);
 * - with --json every stdout line is one JSON object instead (`type`: listening, api, stats,
 *   timeline, stopped; see docs/faults.md);
 * - SIGINT / SIGTERM stop it: counters printed, exit 0;
 * - a bad flag or scenario file prints one `error: ...` line on stderr and exits non-zero; logs go
 *   to stderr.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CliError, Command, type HostPort, formatUrl, onShutdown, parseDuration, parseHostPort, parseInteger } from '@netlab/cli-kit';
import {
  COUNTER_UNITS,
  type ControlApi,
  type DatagramImpairmentOptions,
  type Direction,
  type FaultCounters,
  type FaultProxy,
  PROTOCOL_COUNTER_FIELDS,
  type ProxyRegistry,
  type RegistryEvent,
  type TcpDirectionImpairments,
  type TimelineRun,
  createControlApi,
  createProxyRegistry,
  createTcpFaultProxy,
  createUdpFaultProxy,
  describeCounters,
  formatAddress,
  formatCounters,
  isFaultError,
  loadScenario,
  parseScenario,
  runTimeline,
} from '@netlab/faults';
import { addTraceOptions, currentTracer } from '@netlab/exercise-kit';
import { IMPAIRMENT_FLAGS, type Protocol, camel } from './flags.js';

type Values = Readonly<Record<string, unknown>>;

/** The name of the proxy built from --protocol/--listen/--upstream in the API and in JSON lines. */
export const DEFAULT_PROXY_NAME = 'proxy';
/** Where --api (without an address) and `serve` listen: toxiproxy's port. */
export const DEFAULT_API_ADDRESS = '127.0.0.1:8474';

const HELP_FOOTER = `
Directions: "up" is client -> server, "down" is server -> client. Every impairment marked [up/down]
also has -up and -down forms (--loss-up 5%, --latency-down 200) that apply to one direction
only; the plain form applies to both, and a -up/-down form wins over it.

Probabilities are 0.2 or 20%. Durations are milliseconds (250, 250ms) or seconds (2s).
TCP never loses bytes in the middle of a stream: loss shows as stalls, closes and resets.
The same --seed with the same order of connections/clients replays the same decisions.

Live control: --api [HOST:PORT] serves toxiproxy's HTTP API (default ${DEFAULT_API_ADDRESS}), so toxiproxy
clients can add and remove toxics on open connections; --config FILE declares proxies, toxics and
a timeline up front (YAML or toxiproxy's JSON -config list). See docs/faults.md.

Examples:
  netlab proxy --protocol udp --listen 127.0.0.1:9000 --upstream 127.0.0.1:5000 --loss 20% --seed 7
  netlab proxy --protocol tcp --listen 127.0.0.1:9000 --upstream 127.0.0.1:5000 --slicer --slicer-size 3 --slicer-variation 2 --slicer-delay 5
  netlab proxy --protocol udp --listen 127.0.0.1:9000 --upstream 127.0.0.1:5000 --loss 30% --stats-every 5s
  netlab proxy serve --api 127.0.0.1:8474 --config faults.yaml
`;

const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];

/**
 * The live-control options. They belong to `proxy` only: `proxy serve` reads them from its parent
 * (commander hands options after a subcommand to the parent unless every ancestor, up to the
 * umbrella `netlab`, has positional options), so `netlab proxy serve --api …` and the standalone
 * `proxy serve --api …` parse the same way.
 */
function addServerOptions(command: Command): void {
  command
    .option('--api [host:port]', `serve the toxiproxy-compatible control API (loopback only; default ${DEFAULT_API_ADDRESS}; always on with serve)`)
    .option('--api-origin <url>', 'a browser origin allowed to call the API, e.g. http://127.0.0.1:7300 (repeatable; default: none)', collect)
    .option('--config <file>', 'proxies, toxics and a timeline from a YAML (or toxiproxy JSON) file')
    .option('--stats-every <duration>', 'print every proxy\'s counters this often (5s, 500ms; default: only when stopping)', (value) => {
      const ms = parseDuration(value, '--stats-every');
      if (ms < 100) throw new CliError('ERR_USAGE', `invalid --stats-every "${value}": expected at least 100ms`);
      return ms;
    })
    .option('--json', 'print counters and events on stdout as JSON lines (one object per line)')
    .option('--seed <n>', 'seed for every fault decision of proxies without their own (default: random, printed on stderr)', (value) => parseInteger(value, '--seed', 0))
    .option('--verbose', 'log every connection or client on stderr');
}

/** Builds the `proxy` command (standalone or under `netlab`). */
export function createCommand(): Command {
  const command = new Command('proxy').description(
    'Put seeded network faults between a client and a server, in any language: toxiproxy impairments for TCP, netem impairments for UDP; live control through a toxiproxy-compatible API.',
  );
  command
    .addOption(command.createOption('--protocol <protocol>', 'tcp or udp').choices(['tcp', 'udp']))
    .option('--listen <host:port>', 'address to listen on; port 0 picks a free one (printed)')
    .option('--upstream <host:port>', 'the real server to forward to')
    .option('--name <name>', `the proxy's name in the API and in JSON lines (default ${DEFAULT_PROXY_NAME})`);
  addServerOptions(command);
  // The flag proxy's both legs and every fault decision (with the seed); proxies from --config or the API are not traced.
  addTraceOptions(command, { role: 'proxy', label: 'proxy', hex: true });
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
    await run(values, false);
  });
  const serve = new Command('serve').description(
    `Serve the toxiproxy-compatible control API (default ${DEFAULT_API_ADDRESS}) with no proxies at start, or those of --config.`,
  );
  serve.addHelpText(
    'after',
    `
Takes the options of netlab proxy: --api HOST:PORT (default ${DEFAULT_API_ADDRESS}), --api-origin URL, --config FILE,
--stats-every DURATION, --json, --seed N, --verbose (and, to start with a flag proxy too, --protocol,
--listen, --upstream and impairment flags). Examples:
  netlab proxy serve
  netlab proxy serve --api 127.0.0.1:8474 --config faults.yaml --api-origin http://127.0.0.1:7300`,
  );
  serve.action(async (_options: Values, self: Command) => {
    await run(self.optsWithGlobals(), true);
  });
  command.addCommand(serve);
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

function describeEvent(event: RegistryEvent, verbose: boolean): string {
  const who = event.proxy === DEFAULT_PROXY_NAME ? 'proxy' : `proxy ${event.proxy}`;
  switch (event.type) {
    case 'upstream-error':
      return `${who}: ${event.error.message}`;
    case 'closed-by-fault':
      return verbose ? `${who}: #${event.id} ${event.peer} closed by ${event.reason}` : '';
    case 'open':
    case 'close':
    case 'reset':
    case 'evicted':
      return verbose ? `${who}: #${event.id} ${event.peer} ${event.type}` : '';
    case 'timeline':
      return `${who}: timeline ${(event.atMs / 1000).toFixed(1)} s (line ${event.line}): ${event.action}${event.toxic === undefined ? '' : ` ${event.toxic}`}${event.error === undefined ? '' : ` failed: ${event.error}`}`;
    case 'proxy':
      return verbose ? `${who}: ${event.action}` : '';
    default:
      return '';
  }
}

/** Turns a library failure into the CLI's one-line error. */
function cliError(error: unknown): unknown {
  if (!isFaultError(error)) return error;
  const cause = error.cause;
  if (error.code === 'ERR_LISTEN' || (isFaultError(cause) && cause.code === 'ERR_LISTEN')) return new CliError('ERR_LISTEN', error.message, { cause: error });
  return new CliError('ERR_USAGE', error.message.replace('point the upstream', 'point --upstream'), { cause: error });
}

interface Snapshot {
  readonly name: string;
  readonly protocol: 'tcp' | 'udp';
  readonly seed: number;
  readonly counters: FaultCounters;
  readonly sessions: number;
  readonly open: number;
  readonly upstreamErrors: number;
}

function snapshot(registry: ProxyRegistry, name: string): Snapshot {
  const json = registry.get(name);
  return { name, protocol: json.protocol, seed: json.seed, ...registry.counters(name) };
}

function statsJson(type: 'stats' | 'stopped', s: Snapshot, elapsedMs: number): string {
  const fields = PROTOCOL_COUNTER_FIELDS[s.protocol];
  const pick = (direction: Direction): Record<string, number> => Object.fromEntries(fields.map((field) => [field, s.counters[direction][field]]));
  return JSON.stringify({
    type,
    proxy: s.name,
    protocol: s.protocol,
    unit: COUNTER_UNITS[s.protocol],
    seed: s.seed,
    elapsed_ms: Math.round(elapsedMs),
    sessions: s.sessions,
    open: s.open,
    upstream_errors: s.upstreamErrors,
    counters: { upstream: pick('up'), downstream: pick('down') },
  });
}

function statsText(s: Snapshot, elapsedMs: number, what: 'after' | 'stopped after', explain: boolean): string {
  const who = s.name === DEFAULT_PROXY_NAME ? 'proxy' : `proxy ${s.name}`;
  const sessions = s.protocol === 'tcp' ? `${s.sessions} connections` : `${s.sessions} clients`;
  const open = what === 'after' ? ` (${s.open} open)` : '';
  const head = `${who} ${what} ${(elapsedMs / 1000).toFixed(1)} s: ${s.protocol}, seed ${s.seed}, ${sessions}${open}, ${s.upstreamErrors} upstream errors`;
  return [head, formatCounters(s.counters, s.protocol), ...(explain ? [describeCounters(s.protocol)] : [])].join('\n');
}

async function run(values: Values, serve: boolean): Promise<void> {
  const json = values.json === true;
  const verbose = values.verbose === true;
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const wantsFlagProxy = values.protocol !== undefined || values.listen !== undefined || values.upstream !== undefined;
  const apiValue = typeof values.api === 'string' ? values.api : values.api === true || serve ? DEFAULT_API_ADDRESS : undefined;
  const apiAddress = apiValue;
  if (!serve && !wantsFlagProxy && values.config === undefined && apiAddress === undefined) {
    throw new CliError('ERR_USAGE', 'netlab proxy needs --protocol, --listen and --upstream (or --config FILE, or --api; see netlab proxy serve --help)');
  }
  const seed = num(values.seed) ?? randomInt(0, 2 ** 31);
  const registry = createProxyRegistry({ seed });
  const names: string[] = [];
  let api: ControlApi | undefined;
  let timeline: TimelineRun | undefined;
  const started = performance.now();
  try {
    if (wantsFlagProxy) {
      for (const flag of ['protocol', 'listen', 'upstream'] as const) {
        if (values[flag] === undefined) throw new CliError('ERR_USAGE', `--${flag} is required with --protocol, --listen and --upstream`);
      }
      const protocol = values.protocol === 'udp' ? 'udp' : 'tcp';
      const listen = hostPort(values.listen);
      const upstream = hostPort(values.upstream);
      if (upstream.port === 0) throw new CliError('ERR_USAGE', `invalid --upstream "${String(values.upstream)}": the port must not be 0`);
      checkProtocol(values, protocol);
      const name = typeof values.name === 'string' ? values.name : DEFAULT_PROXY_NAME;
      const tracer = currentTracer();
      const tap = tracer === undefined ? {} : { tap: tracer };
      await registry.createWith({ name, protocol, listen: formatAddress(listen.host, listen.port), upstream: formatAddress(upstream.host, upstream.port), seed }, (common): Promise<FaultProxy> =>
        protocol === 'udp'
          ? createUdpFaultProxy({
              ...common,
              ...tap,
              up: udpImpairments(values, 'up'),
              down: udpImpairments(values, 'down'),
              ...defined<{ maxClients?: number; clientIdleMs?: number }>({ maxClients: num(values.maxClients), clientIdleMs: num(values.clientIdle) }),
            })
          : createTcpFaultProxy({
              ...common,
              ...tap,
              up: tcpImpairments(values, 'up'),
              down: tcpImpairments(values, 'down'),
              ...defined<{ resetPeer?: number; resetPeerAfterMs?: number; maxConnections?: number }>({
                resetPeer: num(values.resetPeer),
                resetPeerAfterMs: num(values.resetPeerAfter),
                maxConnections: num(values.maxConnections),
              }),
            }),
      );
      names.push(name);
    }
    let scenario: ReturnType<typeof parseScenario> | undefined;
    if (typeof values.config === 'string') {
      let text: string;
      try {
        text = await readFile(values.config, 'utf8');
      } catch (error) {
        throw new CliError('ERR_INPUT', `cannot read --config ${values.config}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      scenario = parseScenario(text, values.config);
      for (const proxy of scenario.proxies) {
        if (proxy.name !== undefined && names.includes(proxy.name)) throw new CliError('ERR_USAGE', `${values.config}: proxy "${proxy.name}" clashes with --name`);
      }
      await loadScenario(scenario, registry);
      for (const proxy of scenario.proxies) if (proxy.name !== undefined) names.push(proxy.name);
    }
    if (apiAddress !== undefined) {
      const address = hostPort(apiAddress);
      api = await createControlApi({ host: address.host, port: address.port, registry, allowedOrigins: (values.apiOrigin as string[] | undefined) ?? [] });
    }
    // Logs need connection events only: no fault decisions are built for them.
    registry.subscribe(
      (event) => {
        if (json && event.type === 'timeline') print(JSON.stringify(event));
        const line = describeEvent(event, verbose);
        if (line !== '') process.stderr.write(`${line}\n`);
      },
      { faults: false },
    );
    process.stderr.write(`proxy: seed ${seed} (replay with --seed ${seed})\n`);
    for (const name of names) {
      const proxy = registry.get(name);
      const [host, port] = [proxy.listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), Number(proxy.listen.split(':').at(-1))];
      if (json) print(JSON.stringify({ type: 'listening', proxy: name, protocol: proxy.protocol, listen: proxy.listen, upstream: proxy.upstream, seed: proxy.seed, enabled: proxy.enabled }));
      else print(`proxy listening on ${formatUrl(proxy.protocol, host, port)} -> ${proxy.upstream}${name === DEFAULT_PROXY_NAME && wantsFlagProxy ? '' : ` (${name})`}`);
    }
    if (api !== undefined) print(json ? JSON.stringify({ type: 'api', url: api.url }) : `api listening on ${api.url}`);
    if (scenario !== undefined && scenario.timeline.length > 0) timeline = runTimeline(scenario.timeline, registry);
  } catch (error) {
    await api?.close();
    await registry.close();
    throw cliError(error);
  }
  const current = (): string[] => registry.list().map((proxy) => proxy.name);
  let explained = false;
  const every = num(values.statsEvery);
  const ticker =
    every === undefined
      ? undefined
      : setInterval(() => {
          const elapsed = performance.now() - started;
          for (const name of current()) {
            const s = snapshot(registry, name);
            print(json ? statsJson('stats', s, elapsed) : statsText(s, elapsed, 'after', !explained));
          }
          explained = true;
        }, every);
  onShutdown(async () => {
    if (ticker !== undefined) clearInterval(ticker);
    timeline?.stop();
    await api?.close();
    const elapsed = performance.now() - started;
    const finals = current().map((name) => snapshot(registry, name));
    await registry.close();
    for (const s of finals) print(json ? statsJson('stopped', s, elapsed) : statsText(s, elapsed, 'stopped after', true));
  });
}
