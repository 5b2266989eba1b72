/**
 * Child process of bench/ws-transport.bench.ts: one WebSocket echo server, ours or bare,
 * reporting its port over IPC (the protocol of transport-bench-child.ts). Not a benchmark itself.
 *
 * Modes: ws-ours (createWsServer + text codec + echo service), ws-bare (a ws WebSocketServer
 * that decodes each message to a string and sends it back: what a hand-written service does).
 */
import type { Service, Session } from '@netlab/service';
import { createWsServer, createWsTextCodec } from '@netlab/transport-ws';
import { WebSocketServer } from 'ws';

const echoSession: Session<string, string> = { receive: (message) => [message] };
const echo: Service<string, string> = { name: 'echo', open: () => echoSession };
const mode = process.argv[2];

async function start(): Promise<number> {
  if (mode === 'ws-ours') {
    const server = createWsServer({ codec: createWsTextCodec(), service: echo, maxConnections: 100_000, idleTimeoutMs: 600_000 });
    return (await server.listen()).port;
  }
  if (mode === 'ws-bare') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false });
    wss.on('connection', (ws) => {
      ws.on('message', (data: Buffer) => {
        ws.send(data.toString('utf8'));
      });
    });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const address = wss.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }
  throw new Error(`unknown mode ${String(mode)}`);
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'memory') process.send?.(process.memoryUsage());
});
process.on('SIGTERM', () => process.exit(0));
process.send?.({ type: 'ready', port: await start() });
