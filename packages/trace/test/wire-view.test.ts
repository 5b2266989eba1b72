import { describe, expect, it } from 'vitest';
import { type DataRecord, formatWireView } from '../src/index.js';
import { atmBalance, frame, serverTrace } from './synthetic.js';

const data = (records: ReturnType<typeof serverTrace>): DataRecord[] => records.filter((record): record is DataRecord => record.kind === 'data');

describe('the wire view', () => {
  it('shows line boundaries, a CRLF line and a partial line', () => {
    const [record] = data(serverTrace(7102, [['in', 'grüß dich\r\nbye\nhal']]));
    expect(formatWireView(record!)).toBe(
      [
        '← tcp 127.0.0.1:50000 → 127.0.0.1:7102, 20 bytes',
        '  67 72 c3 bc c3 9f 20 64 69 63 68 0d 0a | 62 79 65 0a | 68 61 6c',
        '  line "grüß dich" (13 bytes) | line "bye" (4 bytes) | partial line "hal" (3 bytes, no newline yet)',
      ].join('\n'),
    );
  });

  it('finds u32 frames by itself, and a frame cut short', () => {
    const bytes = frame(atmBalance);
    const [whole, cut] = data(serverTrace(7110, [['out', Buffer.concat([frame('ok'), bytes])], ['out', bytes.subarray(0, 10)]]));
    const view = formatWireView(whole!, { maxBytes: 12 }).split('\n');
    expect(view[0]).toBe(`→ tcp 127.0.0.1:7110 → 127.0.0.1:50000, ${8 + bytes.length} bytes`);
    const length = bytes.length - 4;
    expect(view[1]).toBe(`  00 00 00 04 22 6f 6b 22 | 00 00 00 ${length.toString(16)} …`);
    expect(view[2]).toMatch(new RegExp(`^ {2}frame 4\\+4 bytes "\\\\"ok\\\\"" \\| frame ${length}\\+4 bytes `));
    expect(formatWireView(cut!, { framing: 'u32' }).split('\n')[2]).toBe(`  partial frame (10 of ${bytes.length} bytes)`);
  });

  it('shows a datagram whole', () => {
    const [record] = data(serverTrace(7107, [['in', 'SEND_DATE']], 'udp'));
    expect(formatWireView(record!).split('\n').slice(1)).toEqual(['  53 45 4e 44 5f 44 41 54 45', '  datagram "SEND_DATE"']);
  });
});
