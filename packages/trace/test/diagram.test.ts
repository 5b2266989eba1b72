import mermaid from 'mermaid';
import { describe, expect, it } from 'vitest';
import { type TraceRecord, buildSequence, createTraceWriter, createTracer, escapeMermaid, parseTrace, traceToMermaid, traceToSvg } from '../src/index.js';
import { echoAndDatetime, proxiedLoss } from './golden.js';
import { atmLogin, atmWithdraw, frame, reply, serverTrace } from './synthetic.js';

/** Every diagram this file generates goes through Mermaid's own parser. */
async function parsed(text: string): Promise<string> {
  await expect(mermaid.parse(text)).resolves.toMatchObject({ diagramType: 'sequence' });
  return text;
}

/** A UDP client (role client) whose first SEND_TIME got no answer and was sent again. */
function retriedClient(): TraceRecord[] {
  let text = '';
  let t = 1000;
  const writer = createTraceWriter({ write: (line: string) => { text += line; return true; } });
  const tracer = createTracer(writer, { role: 'client', label: 'udp-datetime', now: () => t });
  const flow = tracer.flow({ transport: 'udp', local: { addr: '127.0.0.1', port: 40000 }, remote: { addr: '127.0.0.1', port: 7107 }, initiator: 'local' });
  const at = (time: number, run: () => void): void => {
    t = time;
    run();
  };
  at(1000, () => { flow.data('out', Buffer.from('SEND_DATE')); });
  at(1002, () => { flow.data('in', Buffer.from('2024-03-10')); });
  at(1100, () => { flow.data('out', Buffer.from('SEND_TIME')); });
  at(2100, () => { flow.data('out', Buffer.from('SEND_TIME')); });
  at(2104, () => { flow.data('in', Buffer.from('06:59:58')); });
  at(2200, () => { flow.data('out', Buffer.from('HELLO')); });
  at(2201, () => { flow.data('in', Buffer.from('ERROR unknown request')); });
  return parseTrace(text);
}

describe('Mermaid sequence diagrams', () => {
  it('draws a lane per endpoint, requests solid, replies dotted, connection events as open arrows', async () => {
    const text = await parsed(traceToMermaid(echoAndDatetime()));
    expect(text).toContain('participant L1 as client 127.0.0.1:50412');
    expect(text).toContain('participant L2 as golden server 127.0.0.1:7102');
    expect(text).toContain('participant L3 as client [::1]:40000');
    expect(text).toContain('L1-)L2: connect');
    expect(text).toContain('L1->>L2: he\n');
    expect(text).toContain('L2-->>L1: hello | Goodbye');
    expect(text).toContain('L2--)L1: FIN (half-close)');
    expect(text).toContain('Note over L1,L2: connection closed');
    expect(text).toContain('L4-->>L3: 06#58;59#58;58'.replace(/#58;/g, ':'));
  });

  it('draws what the proxy dropped as lost, towards where it was going, with the decision as a note', async () => {
    const text = await parsed(traceToMermaid(proxiedLoss()));
    expect(text).toContain('participant L1 as client 127.0.0.1:40001');
    expect(text).toMatch(/participant L2 as proxy 127\.0\.0\.1:9000/);
    expect(text).toContain('participant L3 as server 127.0.0.1:7107');
    expect(text).toContain('L2-xL3: SEND_DATE (dropped)');
    expect(text).toContain('Note over L2: proxy: drop (loss, seed 7, datagram #35;1)');
    expect(text).toContain('Note over L2: proxy: delay 120 ms (delay, seed 7, datagram #35;2)');
    expect(text).toContain('L2->>L3: SEND_DATE');
    expect(text).toContain('L3-->>L2: 2024-03-10');
  });

  it('draws a request that was sent again without a reply as lost', async () => {
    const text = await parsed(traceToMermaid(retriedClient()));
    const arrows = text.split('\n').filter((line) => line.includes('L1') && line.includes(': ') && !line.includes('participant'));
    expect(arrows).toEqual(['  L1->>L2: SEND_DATE', '  L2-->>L1: 2024-03-10', '  L1-xL2: SEND_TIME (lost)', '  L1->>L2: SEND_TIME', '  L2-->>L1: 06:59:58', '  L1->>L2: HELLO', '  L2-->>L1: ERROR unknown request']);
  });

  it('labels request-log envelopes by id, operation and outcome, and masks PIN-like members', async () => {
    const records = serverTrace(7110, [['in', frame(atmLogin)], ['out', frame(reply(1, { code: 'APPROVED' }))], ['in', frame(atmWithdraw)], ['out', frame(reply(3, { code: 'APPROVED' }, true))], ['in', frame({ pin: '1234', note: 'not an envelope' })]]);
    const text = await parsed(traceToMermaid(records));
    expect(text).toContain('L1->>L2: atm-1#35;1 login');
    expect(text).toContain('L2-->>L1: atm-1#35;1 APPROVED');
    expect(text).toContain('L1->>L2: atm-1#35;3 withdraw 50000 w-1');
    expect(text).toContain('L2-->>L1: atm-1#35;3 APPROVED (replay)');
    expect(text).toContain('{"pin":"***","note":"not an envelope"}');
    expect(text).not.toContain('1234');
  });

  it('summarises a long run after maxSteps steps', async () => {
    const chunks = Array.from({ length: 500 }, (_, index) => [['in', `line ${index}\n`], ['out', `line ${index}\n`]] as const).flat();
    const text = await parsed(traceToMermaid(serverTrace(7102, chunks), { maxSteps: 20 }));
    expect(text.split('\n').filter((line) => line.includes('->>') || line.includes('-->>'))).toHaveLength(19);
    expect(text).toContain('Note over L1,L2: … 984 more steps not drawn: 981 messages, 3 connection events');
  });

  it('escapes text that would end a statement or open markup', async () => {
    expect(escapeMermaid('a;b#c<d>e%f\ng')).toBe('a#59;b#35;c#60;d#62;e#37;f g');
    const text = await parsed(traceToMermaid(serverTrace(7102, [['in', 'x;y #1 <b>bold</b> %%{init}%%\n'], ['out', 'ok\n']])));
    expect(text).toContain('L1->>L2: x#59;y #35;1 #60;b#62;bold#60;/b#62; #37;#37;{init}#37;#37;');
  });

  it('draws an empty trace as an empty diagram', async () => {
    expect(await parsed(`${traceToMermaid([])}  Note over A: nothing\n`)).toContain('sequenceDiagram');
    expect(buildSequence([]).lanes).toEqual([]);
  });
});

describe('SVG sequence diagrams', () => {
  it('renders lanes, arrows, lost crosses and notes as standalone SVG', () => {
    const svg = traceToSvg(proxiedLoss(), { title: 'proxied loss' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('>client 127.0.0.1:40001</text>');
    expect(svg).toContain('>SEND_DATE (dropped)</text>');
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ M[\d.]+,[\d.]+ L[\d.]+,[\d.]+" stroke="#c0392b"/);
    expect(svg).toContain('>proxy: drop (loss, seed 7, datagram #1)</text>');
  });

  it('escapes XML in labels', () => {
    const svg = traceToSvg(serverTrace(7102, [['in', '<a href="x">&\n']]));
    expect(svg).toContain('&lt;a href=&quot;x&quot;&gt;&amp;');
    expect(svg).not.toContain('<a href');
  });
});
