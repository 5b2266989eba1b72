/**
 * The line client of the UDP text exercises: each input becomes one datagram, each reply is
 * printed on its own line. Inputs come from `messages` (command-line text), else from stdin (a
 * pipe: one per line; a terminal: interactive). `defaultMessage` is sent when there is nothing
 * else to send (no text, empty piped input, or an empty interactive line).
 *
 * Requests go out one at a time (the transport's plain-text rule) and are resent up to `retries`
 * times, `timeoutMs` apart; a request that never gets a reply is counted lost and reported on
 * stderr, and the client goes on. A refused port (ICMP port unreachable) before any reply ends
 * the run with `no server at HOST:PORT`; once a request was answered, a refusal means the server
 * went away: that request (and each later one the server is still gone for) counts as lost and
 * the run goes on to its summary, so the loss count survives the server's death.
 */
import { CliError } from '@netlab/cli-kit';
import { DEFAULT_MAX_DATAGRAM_BYTES } from '@netlab/codec';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRIES, createUdpClient, isUdpError } from '@netlab/transport-udp';
import { DEFAULT_HOST } from './exercise-command.js';
import { formatHostPort, toClientError } from './errors.js';
import { type LineInputOptions, createLineInput } from './line-input.js';
import { writeStderr } from './running-server.js';
import { type RttSummary, createRttStats } from './rtt-stats.js';
import { createTextDatagramCodec } from './text-codecs.js';

/** What a UDP client run did: requests sent, answered, resends, requests lost, round-trip times. */
export interface UdpClientSummary {
  readonly sent: number;
  readonly answered: number;
  readonly retried: number;
  readonly lost: number;
  /** Round-trip times of the answered requests; absent when none was answered. */
  readonly rtt?: RttSummary;
}

export interface UdpLineClientOptions {
  /** Server port. Required. */
  readonly port: number;
  /** Server host. Default `127.0.0.1`. */
  readonly host?: string;
  /** Send exactly these (stdin is not read). Default: read stdin. */
  readonly messages?: readonly string[];
  /** Sent when there is nothing else to send (see the module comment). Default: none. */
  readonly defaultMessage?: string;
  /** Wait for a reply this long before resending, in ms. Default 1000 (`DEFAULT_ATTEMPT_TIMEOUT_MS`). */
  readonly timeoutMs?: number;
  /** Resends after the first send. Default 2 (`DEFAULT_RETRIES`). */
  readonly retries?: number;
  /** Largest datagram, both ways. Default 1200 (`DEFAULT_MAX_DATAGRAM_BYTES`). */
  readonly maxDatagramBytes?: number;
  /** Formats a reply line: the reply text and `HOST:PORT` of the server. Default: the reply as is. */
  readonly format?: (reply: string, server: string) => string;
  /** Input source and output. Default stdin/stdout. */
  readonly io?: Omit<LineInputOptions, 'maxLineBytes'>;
  /** Where lost requests are reported. Default: stderr. */
  readonly log?: (line: string) => void;
}

/** Sends every input and prints every reply; resolves with the counts. */
export async function runUdpLineClient(options: UdpLineClientOptions): Promise<UdpClientSummary> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port;
  const maxDatagramBytes = options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES;
  const log = options.log ?? writeStderr;
  const format = options.format ?? ((reply: string): string => reply);
  let client;
  try {
    client = await createUdpClient({
      codec: createTextDatagramCodec({ maxDatagramBytes }),
      host,
      port,
      timeoutMs: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
      retries: options.retries ?? DEFAULT_RETRIES,
    });
  } catch (error) {
    throw toClientError(error, host, port);
  }
  const server = formatHostPort(client.remoteAddress.host, client.remoteAddress.port);
  const output = options.io?.output ?? process.stdout;
  const input = options.messages === undefined ? createLineInput({ ...options.io, maxLineBytes: maxDatagramBytes }) : undefined;
  const print = (line: string): void => {
    if (input === undefined) output.write(`${line}\n`);
    else input.print(line);
  };
  const queued = [...(options.messages ?? [])];
  let sent = 0;
  let answered = 0;
  let lost = 0;
  const rtt = createRttStats();
  const next = async (): Promise<string | undefined> => {
    if (input === undefined) return queued.shift();
    const line = await input.next();
    if (line === '' && input.interactive && options.defaultMessage !== undefined) return options.defaultMessage;
    return line;
  };
  try {
    for (;;) {
      let message = await next();
      if (message === undefined) {
        if (sent > 0 || options.defaultMessage === undefined || input?.interactive === true) break;
        message = options.defaultMessage;
      }
      sent += 1;
      const started = performance.now();
      try {
        const reply = await client.request(message);
        rtt.add(performance.now() - started);
        print(format(reply, server));
        answered += 1;
      } catch (error) {
        if (isUdpError(error, 'ERR_CONNECTION_REFUSED') && answered > 0) {
          lost += 1;
          log(`lost: no reply to ${JSON.stringify(message)}: no server at ${server} any more (port unreachable)`);
          continue;
        }
        if (!isUdpError(error, 'ERR_REQUEST_TIMEOUT')) throw toClientError(error, host, port);
        lost += 1;
        log(`lost: no reply to ${JSON.stringify(message)} from ${server} (${error.message})`);
      }
    }
  } finally {
    input?.close();
    await client.close();
  }
  const times = rtt.summary();
  return { sent, answered, retried: client.stats().retransmissions, lost, ...(times === undefined ? {} : { rtt: times }) };
}

/** Throws `ERR_CONNECT` when requests were sent and none was answered. */
export function assertAnswered(summary: UdpClientSummary, host: string, port: number): void {
  if (summary.sent > 0 && summary.answered === 0) {
    throw new CliError('ERR_CONNECT', `no reply from ${formatHostPort(host, port)} to any of ${summary.sent} request${summary.sent === 1 ? '' : 's'}`);
  }
}

/** `sent 5, answered 4, retried 2, lost 1` */
export function formatSummary(summary: UdpClientSummary): string {
  return `sent ${summary.sent}, answered ${summary.answered}, retried ${summary.retried}, lost ${summary.lost}`;
}
