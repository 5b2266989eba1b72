/** The deterministic traces behind the golden pcapng fixtures (test/fixtures/*.hex). */
import { type TraceRecord, createTraceWriter, createTracer, parseTrace } from '../src/index.js';

function build(run: (tracer: ReturnType<typeof createTracer>) => void, role: 'server' | 'proxy', label: string): TraceRecord[] {
  let text = '';
  let t = 1_733_068_800_000;
  const writer = createTraceWriter({ write: (line: string) => { text += line; return true; } });
  run(createTracer(writer, { role, label, now: () => (t += 0.25) }));
  return parseTrace(text);
}

/** An echo session over IPv4 (a split line, then two lines in one segment) and a UDP exchange over IPv6. */
export function echoAndDatetime(): TraceRecord[] {
  return build(
    (tracer) => {
      const tcp = tracer.flow({ transport: 'tcp', local: { addr: '127.0.0.1', port: 7102 }, remote: { addr: '127.0.0.1', port: 50412 }, initiator: 'remote' });
      tcp.open();
      tcp.data('in', Buffer.from('he'));
      tcp.data('in', Buffer.from('llo\nbye\n'));
      tcp.data('out', Buffer.from('hello\nGoodbye\n'));
      tcp.end('out');
      tcp.end('in');
      tcp.close();
      const udp = tracer.flow({ transport: 'udp', local: { addr: '::1', port: 7107 }, remote: { addr: '::1', port: 40000 }, initiator: 'remote' });
      udp.data('in', Buffer.from('SEND_TIME'));
      udp.data('out', Buffer.from('06:59:58'));
    },
    'server',
    'golden',
  );
}

/** A proxied UDP exchange: the first datagram dropped, the retransmission delayed, the reply passed; then a reset TCP connection. */
export function proxiedLoss(): TraceRecord[] {
  return build(
    (tracer) => {
      const client = { addr: '127.0.0.1', port: 40001 };
      const front = { addr: '127.0.0.1', port: 9000 };
      const back = { addr: '127.0.0.1', port: 41000 };
      const server = { addr: '127.0.0.1', port: 7107 };
      const c = tracer.flow({ transport: 'udp', side: 'client', id: '1', local: front, remote: client, initiator: 'remote' });
      const s = tracer.flow({ transport: 'udp', side: 'server', id: '1', local: back, remote: server, initiator: 'local' });
      c.data('in', Buffer.from('SEND_DATE'));
      c.fault('in', { action: 'drop', toxic: 'loss', seed: 7, datagram: 1 });
      c.data('in', Buffer.from('SEND_DATE'));
      c.fault('in', { action: 'delay', toxic: 'delay', seed: 7, datagram: 2, delayMs: 120 });
      s.data('out', Buffer.from('SEND_DATE'));
      s.data('in', Buffer.from('2024-03-10'));
      c.data('out', Buffer.from('2024-03-10'));
      const tc = tracer.flow({ transport: 'tcp', side: 'client', id: '2', local: { addr: '127.0.0.1', port: 9001 }, remote: { addr: '127.0.0.1', port: 40002 }, initiator: 'remote' });
      tc.open();
      tc.data('in', Buffer.from('hi\n'));
      tc.fault('in', { action: 'reset', toxic: 'reset_peer', seed: 7 });
      tc.reset('out');
    },
    'proxy',
    'proxy',
  );
}
