/**
 * `netlab chat`: a multi-client chat room (server) and its terminal client. Protocol:
 * docs/protocols/chat.md. Default port 7109.
 *
 * Server: `chat listening on tcp://HOST:PORT` on stdout once bound; joins, leaves, renames and
 * every connection and its close reason (e.g. `SendQ exceeded` for a member that stopped reading)
 * on stderr; SIGINT/SIGTERM stop it with exit 0. Client: see chat-client.ts.
 */
import { CliError, type Command, durationOption, onShutdown, parseInteger, parsePort } from '@netlab/cli-kit';
import { type AddressOptions, type ClientTlsFlags, type ServerTlsFlags, addClientTlsOptions, addServerTlsOptions, resolveClientTls, createClientCommand, createExerciseCommand, createServerCommand, serveTcp, serveWs } from '@netlab/exercise-kit';
import { createWsTextCodec } from '@netlab/transport-ws';
import { DEFAULT_FLOOD_BURST, DEFAULT_FLOOD_RATE, DEFAULT_MAX_MEMBERS, DEFAULT_MAX_MESSAGE_BYTES } from '@netlab/service-chat';
import { DEFAULT_CHAT_LINGER_MS, runChatClient } from './chat-client.js';
import { DEFAULT_CHAT_IDLE_TIMEOUT_MS, DEFAULT_MAX_LINE_BYTES, DEFAULT_SEND_QUEUE_BYTES, createChatRoom } from './chat-room.js';

export { chatTourPart as tourPart } from './tour.js';

export const EXERCISE = 'chat';
/** The documented default port of the chat exercise. */
export const DEFAULT_PORT = 7109;

interface ServerOptions extends AddressOptions, ServerTlsFlags {
  readonly maxMembers: number;
  readonly floodRate: number;
  readonly floodBurst: number;
  readonly maxMessageBytes: number;
  readonly maxLineBytes: number;
  readonly sendQueueBytes: number;
  readonly idleTimeout: number;
  readonly redis?: string;
  readonly room?: string;
  readonly redisLease: number;
  readonly redisLogMax: number;
  /** `--ws PORT`: also serve the room over WebSocket. */
  readonly ws?: number;
}

interface ClientOptions extends AddressOptions, ClientTlsFlags {
  readonly name?: string;
  readonly linger: number;
}

function parseRate(value: string): number {
  const n = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n > 0 && n <= 1e9)) throw new CliError('ERR_USAGE', `invalid --flood-rate "${value}": expected lines per second, more than 0 (0.5, 5, 100)`);
  return n;
}

const HELP = `Examples:
  netlab chat server --port 0 --max-members 50 --flood-rate 2
  netlab chat client --name alice                  (interactive on a terminal)
  printf 'hi all\\n/msg bob psst\\n' | netlab chat client --name alice --port ${DEFAULT_PORT}
  nc 127.0.0.1 ${DEFAULT_PORT}                             (first line: your name)
  netlab chat server --ws 7119                     (browsers join the same room: ws://127.0.0.1:7119, one line per text frame)

Piped client: the name is --name or the first input line; each further line is sent as typed;
every line from the room is printed. At the end of input the client listens --linger ms more,
then sends quit and exits 0 once the server has closed. A refused name or a lost server:
one error line, exit 1.`;

/** `chat server --redis`: the same server, its room shared through Redis (loaded only when asked for). */
async function serveRedisRoom(options: ServerOptions, url: string): Promise<void> {
  if (options.redisLease < 300) throw new CliError('ERR_USAGE', `invalid --redis-lease: expected at least 300ms, got ${options.redisLease} ms`);
  const { startRedisRoom } = await import('./redis-room.js');
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const shared = await startRedisRoom({
    url,
    ...(options.room === undefined ? {} : { room: options.room }),
    leaseMs: options.redisLease,
    logMax: options.redisLogMax,
    maxMembers: options.maxMembers,
    floodRate: options.floodRate,
    floodBurst: options.floodBurst,
    maxMessageBytes: options.maxMessageBytes,
    log: (line) => {
      log(line.startsWith('chat: ') ? line : `chat: ${line}`);
    },
  });
  const { tcp, codec } = createChatRoom({
    maxMembers: options.maxMembers,
    maxLineBytes: options.maxLineBytes,
    sendQueueBytes: options.sendQueueBytes,
    idleTimeoutMs: options.idleTimeout,
  });
  let server;
  try {
    server = await serveTcp({ exercise: EXERCISE, host: options.host, port: options.port, codec, service: shared.service, tcp, handleSignals: false });
  } catch (error) {
    await shared.close();
    throw error;
  }
  const running = server;
  onShutdown(async (signal) => {
    log(`${EXERCISE}: ${signal}, stopping`);
    await running.close();
    await shared.close();
    log(`${EXERCISE}: stopped`);
  });
}

/** Builds `chat` with its `server` and `client` subcommands. */
export function createCommand(): Command {
  const command = createExerciseCommand({
    name: EXERCISE,
    description: 'TCP: a multi-client chat room with /who, /msg, /nick; the terminal client keeps your typing intact.',
    transport: 'tcp',
    defaultPort: DEFAULT_PORT,
    helpText: HELP,
  });
  command.addCommand(
    addServerTlsOptions(createServerCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT }))
      .option('--max-members <n>', 'members at once ("ERROR room full" past it)', (v) => parseInteger(v, '--max-members', 1, 100_000), DEFAULT_MAX_MEMBERS)
      .option('--flood-rate <lines/s>', 'lines per second a member may sustain (token bucket refill)', parseRate, DEFAULT_FLOOD_RATE)
      .option('--flood-burst <lines>', 'lines a member may send at once (bucket size)', (v) => parseInteger(v, '--flood-burst', 1, 1_000_000_000), DEFAULT_FLOOD_BURST)
      .option('--max-message-bytes <n>', 'longest message a member may type ("ERROR message too long")', (v) => parseInteger(v, '--max-message-bytes', 1, 1 << 20), DEFAULT_MAX_MESSAGE_BYTES)
      .option('--max-line-bytes <n>', 'longest line read; past it "ERROR line too long" and the connection closes', (v) => parseInteger(v, '--max-line-bytes', 16, 1 << 20), DEFAULT_MAX_LINE_BYTES)
      .option('--send-queue-bytes <n>', 'output queued for one member before it is disconnected (SendQ exceeded)', (v) => parseInteger(v, '--send-queue-bytes', 1024, 1 << 30), DEFAULT_SEND_QUEUE_BYTES)
      .addOption(durationOption('--idle-timeout <duration>', 'disconnect a member who sends nothing for this long; 0 = never (90s, 5min, 1h)', DEFAULT_CHAT_IDLE_TIMEOUT_MS))
      .option('--redis <url>', 'share the room with every chat server on this Redis (redis://127.0.0.1:6379)')
      .option('--room <name>', 'with --redis: the room to join (servers on the same Redis and room share members)', 'lab')
      .addOption(durationOption('--redis-lease <duration>', 'with --redis: a dead server\'s member names are freed after this long (2s, 10s)', 10_000))
      .option('--redis-log-max <n>', 'with --redis: events the room\'s Redis stream keeps (MAXLEN ~)', (v) => parseInteger(v, '--redis-log-max', 100, 100_000_000), 10_000)
      .option('--ws <port>', 'also serve the same room over WebSocket on this port (one line per text frame; 0 = any free port)', parsePort)
      .action(async (options: ServerOptions) => {
        if (options.redis !== undefined) {
          await serveRedisRoom(options, options.redis);
          return;
        }
        const room = createChatRoom({
          maxMembers: options.maxMembers,
          floodRate: options.floodRate,
          floodBurst: options.floodBurst,
          maxMessageBytes: options.maxMessageBytes,
          maxLineBytes: options.maxLineBytes,
          sendQueueBytes: options.sendQueueBytes,
          idleTimeoutMs: options.idleTimeout,
        });
        const tcp = await serveTcp({ exercise: EXERCISE, host: options.host, port: options.port, tls: options, codec: room.codec, service: room.service, tcp: room.tcp });
        // One service object behind both listeners: TCP and WebSocket members are in one room.
        if (options.ws !== undefined) {
          try {
            await serveWs({ exercise: EXERCISE, host: options.host, port: options.ws, codec: createWsTextCodec({ maxMessageBytes: options.maxLineBytes }), service: room.service, ws: room.tcp });
          } catch (error) {
            await tcp.close();
            throw error;
          }
        }
      }),
  );
  command.addCommand(
    addClientTlsOptions(createClientCommand({ exercise: EXERCISE, defaultPort: DEFAULT_PORT }))
      .option('--name <name>', 'log in with this name (default: asked for, or the first piped line)')
      .addOption(durationOption('--linger <duration>', 'piped: keep printing this long after the input ended, then quit', DEFAULT_CHAT_LINGER_MS))
      .action(async (options: ClientOptions) => {
        const tls = resolveClientTls(options, (line) => process.stderr.write(`${line}\n`));
        await runChatClient({
          ...(tls === undefined ? {} : { tls }),
          host: options.host,
          port: options.port,
          lingerMs: options.linger,
          ...(options.name === undefined ? {} : { name: options.name }),
        });
      }),
  );
  return command;
}
export { createChatRoom } from './chat-room.js';
