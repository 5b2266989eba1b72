import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type TraceSink, createTraceWriter, createTracer, parseTrace } from '../src/index.js';

/** A sink that accepts `capacity` writes, then reports backpressure until drained by hand. */
function slowSink(capacity: number): TraceSink & { lines: string[]; drain(): void; ended: boolean } {
  const events = new EventEmitter();
  let accepted = 0;
  const sink = {
    lines: [] as string[],
    ended: false,
    write(text: string): boolean {
      sink.lines.push(text);
      accepted += 1;
      return accepted < capacity;
    },
    once(event: 'drain', listener: () => void): unknown {
      return events.once(event, listener);
    },
    end(callback?: () => void): unknown {
      sink.ended = true;
      callback?.();
      return undefined;
    },
    drain(): void {
      accepted = 0;
      events.emit('drain');
    },
  };
  return sink;
}

const note = (index: number): string => `{"v":1,"t":${index},"kind":"note","role":"server","label":"x","text":"${String(index).padStart(4, '0')}"}`;

describe('the trace writer', () => {
  it('writes straight through while the sink keeps up', () => {
    const sink = slowSink(1000);
    const writer = createTraceWriter(sink);
    for (let index = 0; index < 10; index += 1) writer.writeLine(note(index));
    expect(sink.lines).toHaveLength(10);
    expect(writer.stats()).toEqual({ written: 10, dropped: 0, bufferedBytes: 0 });
  });

  it('holds lines while the sink is slow, up to exactly maxBufferedBytes, then drops and says so after the drain', async () => {
    const lineBytes = note(0).length + 1;
    const sink = slowSink(1);
    const writer = createTraceWriter(sink, { maxBufferedBytes: 3 * lineBytes, now: () => 42 });
    writer.writeLine(note(0)); // accepted, then backpressure
    for (let index = 1; index <= 3; index += 1) writer.writeLine(note(index)); // held: exactly at the limit
    expect(writer.stats()).toEqual({ written: 1, dropped: 0, bufferedBytes: 3 * lineBytes });
    writer.writeLine(note(4)); // one byte over: dropped
    writer.writeLine(note(5));
    expect(writer.stats()).toMatchObject({ dropped: 2, bufferedBytes: 3 * lineBytes });
    sink.drain();
    const records = parseTrace(sink.lines.join(''));
    expect(records.map((record) => (record.kind === 'note' ? record.text : ''))).toEqual(['0000', '0001', '0002', '0003', '2 trace records dropped here: the trace sink was too slow']);
    expect(records.at(-1)).toMatchObject({ t: 42, label: 'trace-writer' });
    sink.drain();
    writer.writeLine(note(6));
    expect(sink.lines.at(-1)).toBe(`${note(6)}\n`);
    const closing = writer.close();
    sink.drain();
    await closing;
    expect(sink.ended).toBe(true);
  });

  it('gives up waiting for a sink that never drains after closeTimeoutMs, counting what it held', async () => {
    const sink = slowSink(1);
    const writer = createTraceWriter(sink, { closeTimeoutMs: 50 });
    writer.writeLine(note(0));
    writer.writeLine(note(1));
    await writer.close();
    expect(writer.stats()).toMatchObject({ written: 1, dropped: 1, bufferedBytes: 0 });
    expect(sink.ended).toBe(true);
  });

  it('waits for the sink to drain on close, and refuses writes after it', async () => {
    const sink = slowSink(1);
    const writer = createTraceWriter(sink, { end: false });
    writer.writeLine(note(0));
    writer.writeLine(note(1));
    const closing = writer.close();
    sink.drain();
    sink.drain();
    await closing;
    expect(sink.lines).toHaveLength(2);
    expect(sink.ended).toBe(false);
    expect(() => { writer.writeLine(note(2)); }).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });

  it('refuses a negative buffer limit', () => {
    expect(() => createTraceWriter(slowSink(1), { maxBufferedBytes: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('the recorder', () => {
  function recorder(maxDataBytes?: number): { tracer: ReturnType<typeof createTracer>; text: () => string } {
    let text = '';
    let t = 1000;
    const writer = createTraceWriter({ write: (line: string) => { text += line; return true; } });
    return { tracer: createTracer(writer, { role: 'client', label: 'atm-client', now: () => (t += 0.5), ...(maxDataBytes === undefined ? {} : { maxDataBytes }) }), text: () => text };
  }
  const local = { addr: '127.0.0.1', port: 50000 };
  const remote = { addr: '127.0.0.1', port: 7110 };

  it('formats records that the reader accepts, with the flow constant part and the direction', () => {
    const { tracer, text } = recorder();
    const flow = tracer.flow({ transport: 'tcp', local, remote, initiator: 'local' });
    flow.open();
    flow.data('out', Buffer.from('hi\n'), ['hi']);
    flow.data('in', new Uint8Array(0));
    flow.fault('in', { action: 'delay', toxic: 'latency', seed: 3, delayMs: 12.5 });
    flow.note('answered from the request log');
    flow.reset('in');
    tracer.note('run started');
    tracer.fault({ action: 'close', toxic: 'timeout', seed: 3 });
    const records = parseTrace(text());
    expect(records.map((record) => record.kind)).toEqual(['open', 'data', 'data', 'fault', 'note', 'reset', 'note', 'fault']);
    expect(records[0]).toMatchObject({ t: 1000.5, dir: 'out', from: local, to: remote, flow: '1', role: 'client', label: 'atm-client' });
    expect(records[1]).toMatchObject({ dir: 'out', len: 3, bytes: 'aGkK', messages: ['hi'] });
    expect(records[2]).toMatchObject({ dir: 'in', from: remote, to: local, len: 0, bytes: '' });
    expect(records[3]).toMatchObject({ action: 'delay', delayMs: 12.5, dir: 'in' });
    expect(records[5]).toMatchObject({ kind: 'reset', from: remote });
  });

  it('keeps exactly maxDataBytes bytes and truncates one byte more, keeping the length', () => {
    const { tracer, text } = recorder(4);
    const flow = tracer.flow({ transport: 'udp', local, remote, initiator: 'local', id: 'p1' });
    flow.data('out', Buffer.from('abcd'));
    flow.data('out', Buffer.from('abcde'));
    const [exact, over] = parseTrace(text());
    expect(exact).toMatchObject({ len: 4, bytes: 'YWJjZA==' });
    expect(exact).not.toHaveProperty('truncated');
    expect(over).toMatchObject({ len: 5, bytes: 'YWJjZA==', truncated: true, flow: 'p1' });
  });

  it('reads the bytes of a view without copying the rest of its buffer', () => {
    const { tracer, text } = recorder();
    const big = Buffer.from('xxhelloxx');
    tracer.flow({ transport: 'tcp', local, remote, initiator: 'local' }).data('out', big.subarray(2, 7));
    expect(parseTrace(text())[0]).toMatchObject({ len: 5, bytes: Buffer.from('hello').toString('base64') });
  });

  it('refuses a bad endpoint or label when the flow is made, not on every record', () => {
    const { tracer } = recorder();
    expect(() => tracer.flow({ transport: 'tcp', local: { addr: '127.0.0.1', port: 70000 }, remote, initiator: 'local' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createTracer(createTraceWriter({ write: () => true }), { role: 'server', label: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
