/**
 * `netlab web`: the browser lab bench. Serves the page built at package build time (page-dist/;
 * no dev server at run time, nothing from a CDN) and the services it shows: a chat room that
 * `nc` and terminal users join too (started here, or `--chat HOST:PORT` to attach to a running
 * one). Prints one startup line per service, the form every netlab server uses:
 *
 *   chat listening on tcp://127.0.0.1:PORT
 *   atm listening on tcp://127.0.0.1:PORT
 *   proxy listening on udp://127.0.0.1:PORT (live view)
 *   web listening on http://127.0.0.1:PORT/?token=…
 *
 * Loopback only by default; the per-run token is required on every request (web-auth.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChatRoom } from '@netlab/app-chat';
import { CliError, Command, type HostPort, onShutdown, parseHost, parseHostPort, parsePort } from '@netlab/cli-kit';
import { formatHostPort, serveTcp } from '@netlab/exercise-kit';
import { loadStaticFiles } from './static-files.js';
import { createGate, createToken } from './web-auth.js';
import { type LiveBench, type LiveExportFormat, startLiveBench } from './live-bench.js';
import { attachLiveBench } from './live-attach.js';
import { startWebServer } from './web-server.js';
import { startAtm } from './atm-start.js';

/** The documented default port of `netlab web`. */
export const DEFAULT_PORT = 7180;

interface WebOptions {
  readonly host: string;
  readonly port: number;
  readonly chat?: HostPort;
  readonly atm?: HostPort;
  readonly atmStore?: string;
  readonly proxyApi?: HostPort;
  readonly proxy?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Where the built page is: beside the sources (apps/web/page-dist) or beside the bundle (dist/web). */
export function findAssets(): string | undefined {
  // Tests build the page into a directory of their own (files running at once must not share one).
  const override = process.env.NETLAB_WEB_ASSETS;
  if (override !== undefined && override !== '') return existsSync(`${override}/index.html`) ? override : undefined;
  const candidates = [new URL('../page-dist/', import.meta.url), new URL('./web/', import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

const HELP = `Examples:
  netlab web                                   (starts a chat room; open the printed URL)
  netlab web --port 0 --chat 127.0.0.1:7109    (the page joins a running chat server)
  nc 127.0.0.1 <chat port>                     (a terminal member of the same room)
  netlab web --atm-store ./bank.db             (the ATM screen's bank keeps its books in ./bank.db)
  netlab atm client --port <atm port> --card 123456789 balance   (the same bank from a terminal)

The ATM screen's bank is started here on a SQLite store in a temporary directory (removed on
exit) unless --atm-store FILE names one (kept; created with the demo accounts if missing), or
--atm HOST:PORT attaches to a running \`netlab atm server\` (add --atm-store with its SQLite file
to see its ledger and journal). Demo cards: 123456789, 1000000001..1000000004; every PIN is 1234.

The URL carries a token made for this run; without it every request is refused, so another
page or user on this machine cannot drive the bench. Loopback only unless --host says otherwise.

Live view: pick an exercise (udp echo, udp datetime, tcp echo) run behind the fault proxy; loss,
delay, duplication, reordering (UDP), latency, slicing, reset (TCP), pause/step/resume, kill and
restart the server, a time slider over the last 10,000 messages, click a message for its bytes,
and export the run (the last 20,000 trace records) as pcapng, Mermaid or the trace file.

Attach mode: --proxy-api HOST:PORT (a running \`netlab proxy serve\`, or \`netlab proxy … --api\`)
[--proxy NAME] draws the traffic of that proxy instead (anyone's client and server, e.g. a
Python pair); the fault controls and Pause/Step/Resume act on it through its API. The bench's own
client and server, the Exercise picker, Rate, Kill/Restart and the exports are off in that mode.
  netlab proxy serve --api 127.0.0.1:8474 &
  netlab web --proxy-api 127.0.0.1:8474 --proxy echo`;

function unreachable(): never {
  throw new Error('neither a live bench nor an attached proxy');
}

export function createCommand(): Command {
  return new Command('web')
    .description('The browser lab bench: chat in the same room as nc users, bank at the same ATM server, watch a protocol live (served from built assets).')
    .option('--host <host>', 'address to listen on (loopback by default; anything else exposes the page to the network)', parseHost, '127.0.0.1')
    .option('--port <port>', 'port of the page (0 = any free port)', parsePort, DEFAULT_PORT)
    .option('--chat <host:port>', 'attach to a running chat server instead of starting one', (value) => parseHostPort(value))
    .option('--atm <host:port>', 'attach the ATM screen to a running netlab atm server (TCP) instead of starting a bank', (value) => parseHostPort(value))
    .option('--atm-store <file>', 'SQLite file of the ATM bank (default: a temporary one); with --atm, the store the ledger view reads')
    .option('--proxy-api <host:port>', 'Live view: attach to a running fault proxy\'s control API instead of starting an exercise', (value) => parseHostPort(value))
    .option('--proxy <name>', 'with --proxy-api: the proxy to watch (default: the API\'s only proxy)')
    .addHelpText('after', `\n${HELP}`)
    .action(async (options: WebOptions) => {
      if (options.proxy !== undefined && options.proxyApi === undefined) throw new CliError('ERR_USAGE', '--proxy NAME needs --proxy-api HOST:PORT (the API that runs that proxy)');
      // Attach first: an unreachable API or an unknown proxy fails before anything starts.
      const attached = options.proxyApi === undefined ? undefined : await attachLiveBench({ api: options.proxyApi, ...(options.proxy === undefined ? {} : { proxy: options.proxy }), log: (line) => process.stderr.write(`${line}\n`) });
      const assets = findAssets();
      if (assets === undefined) {
        await attached?.close();
        throw new CliError('ERR_USAGE', 'the page is not built: run `pnpm --filter @netlab/app-web build` (or use the published netlab, which ships it)');
      }
      const files = loadStaticFiles(assets);
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      if (!LOOPBACK.has(options.host)) log(`web: warning: listening on ${options.host}, not loopback: anyone who can reach it and has the URL can use the page`);
      const closers: (() => Promise<void>)[] = [];
      if (attached !== undefined) closers.push(() => attached.close());
      let chat = options.chat;
      if (chat === undefined) {
        const room = createChatRoom();
        const server = await serveTcp({ exercise: 'chat', host: options.host, port: 0, codec: room.codec, service: room.service, tcp: room.tcp, handleSignals: false, log });
        closers.push(() => server.close());
        chat = { host: server.host, port: server.port };
      }
      let atm;
      try {
        atm = await startAtm({ host: options.host, ...(options.atm === undefined ? {} : { attach: options.atm }), ...(options.atmStore === undefined ? {} : { store: resolve(options.atmStore) }), log });
      } catch (error) {
        for (const close of closers) await close();
        throw error;
      }
      closers.push(() => atm.close());
      let live: LiveBench | undefined;
      if (attached === undefined) {
        try {
          live = await startLiveBench({ log });
        } catch (error) {
          for (const close of closers) await close();
          throw error;
        }
        const bench = live;
        closers.push(() => bench.close());
        process.stdout.write(`proxy listening on udp://${live.proxy.host}:${String(live.proxy.port)} (live view)\n`);
      } else {
        const t = attached.target;
        process.stdout.write(`live view attached to proxy ${t.proxy} (${t.protocol} ${t.listen} -> ${t.upstream}) at ${t.api}\n`);
      }
      let web;
      try {
        web = await startWebServer({ host: options.host, port: options.port, gate: createGate(createToken(), options.host), files, chat, live: live?.service ?? attached?.service ?? unreachable(), ...(live === undefined ? {} : { liveExport: (format: LiveExportFormat) => live.exportRun(format) }), atm: atm.service, log });
      } catch (error) {
        for (const close of closers) await close();
        const errno = (error as { code?: unknown }).code;
        if (typeof errno === 'string' && ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes(errno)) {
          const why = errno === 'EADDRINUSE' ? `port ${String(options.port)} is in use (another netlab web?); --port 0 picks a free one` : `not allowed or not available (${errno})`;
          throw new CliError('ERR_LISTEN', `cannot listen on http://${formatHostPort(options.host, options.port)}: ${why}`, { cause: error });
        }
        throw error;
      }
      closers.unshift(() => web.close());
      onShutdown(async (signal) => {
        log(`web: ${signal}, stopping`);
        for (const close of closers) await close();
        log('web: stopped');
      });
      process.stdout.write(`web listening on ${web.url}\n`);
    });
}
