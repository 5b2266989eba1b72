/**
 * The tour's trace part: an echo session recorded with `--trace` and `--pcap` by the server,
 * then a UDP date/time run through a lossy `netlab proxy --trace --pcap`, then what the views
 * make of them (a sequence diagram, statistics) and the tshark commands that open the captures.
 * The files stay in a temporary directory the part names, for the user to open.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, startTourServer } from '@netlab/exercise-kit';
import { computeStats, parseTrace, traceToMermaid } from '@netlab/trace';

const ECHO_SCRIPT = ['hello, wire', 'bye'] as const;
const DATETIME_SCRIPT = ['SEND_DATE', 'SEND_TIME', 'SEND_DATE'] as const;
/** Seed 3 at 40 % loss drops the client's first two datagrams: the capture always has a loss to show. */
const LOSS_ARGS = ['--loss-up', '40%', '--seed', '3'] as const;

export const traceTourPart: TourPart = {
  name: 'trace',
  title: 'traces and pcapng of real runs: an echo session, a lossy UDP date/time run (--trace, --pcap)',
  async run(ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-tour-trace-'));
    const echoTrace = join(dir, 'echo.jsonl');
    const echoPcap = join(dir, 'echo.pcapng');
    const echo = await startTourServer(ctx, 'echo', ['--trace', echoTrace, '--pcap', echoPcap]);
    const session = await runTourClient(ctx, 'echo', echo, { input: `${ECHO_SCRIPT.join('\n')}\n` });
    sayExchange(ctx, { sent: ECHO_SCRIPT, received: outputLines(session.stdout) });
    await echo.process.stop();
    const echoRecords = parseTrace(readFileSync(echoTrace, 'utf8'));
    ctx.note(`the server recorded ${echoRecords.length} records: ${[...new Set(echoRecords.map((record) => record.kind))].join(', ')}`);

    const datetime = await startTourServer(ctx, 'udp-datetime', ['--utc']);
    const proxyTrace = join(dir, 'datetime.jsonl');
    const proxyPcap = join(dir, 'datetime.pcapng');
    const proxy = await ctx.startServer(['proxy', '--protocol', 'udp', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${datetime.port}`, ...LOSS_ARGS, '--trace', proxyTrace, '--pcap', proxyPcap]);
    const lossy = await runTourClient(ctx, 'udp-datetime', proxy, { args: ['--timeout', '200ms', '--retries', '6'], input: `${DATETIME_SCRIPT.join('\n')}\n` });
    sayExchange(ctx, { sent: DATETIME_SCRIPT, received: outputLines(lossy.stdout).slice(0, DATETIME_SCRIPT.length) });
    await proxy.process.stop();
    const proxyRecords = parseTrace(readFileSync(proxyTrace, 'utf8'));
    const stats = computeStats(proxyRecords);
    ctx.note(`the proxy dropped ${stats.loss.dropped} of ${stats.loss.proxied} datagrams (seed 3); the client retransmitted ${stats.retransmissions}`);

    const mermaid = traceToMermaid(proxyRecords, { maxSteps: 24 });
    writeFileSync(join(dir, 'datetime.mmd'), mermaid);
    const svg = join(dir, 'datetime.svg');
    const drawn = await ctx.run(['trace', 'diagram', proxyTrace, '--svg', svg, '--max-steps', '24']);
    if (drawn.code !== 0) throw new Error(`netlab trace diagram failed: ${drawn.stderr.trim()}`);
    const lost = outputLines(mermaid).filter((text) => text.includes('-x'));
    if (lost.length === 0) throw new Error('the diagram shows no lost datagram');
    ctx.note('the sequence diagram (Mermaid; what the proxy dropped is drawn with -x):');
    for (const line of outputLines(mermaid).slice(4, 10)) ctx.say('diagram', line.trim());
    ctx.note(`written in ${dir}:`);
    ctx.note('  echo.jsonl, echo.pcapng, datetime.jsonl, datetime.pcapng, datetime.mmd, datetime.svg');
    ctx.note('open them:');
    ctx.note(`  tshark -r ${echoPcap} -q -z follow,tcp,ascii,0`);
    ctx.note(`  tshark -r ${proxyPcap} -Y udp -T fields -e frame.interface_name -e _ws.col.Info -e frame.comment`);
    ctx.note(`  wireshark ${proxyPcap}      (decode with packages/trace/wireshark/netlab.lua, docs/wireshark.md)`);
  },
};
