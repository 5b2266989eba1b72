import { describe, expect, it } from 'vitest';
import { parseNstat } from '../src/index.js';

describe('reading nstat output', () => {
  it('takes the absolute value of each named counter and 0 for one nstat did not print', () => {
    const output = '#kernel\nTcpRetransSegs                  57                 0.0\nTcpExtTCPTimeouts               20                 0.0\n';
    expect(parseNstat(output, ['TcpRetransSegs', 'TcpExtTCPTimeouts', 'UdpInDatagrams'])).toEqual({ TcpRetransSegs: 57, TcpExtTCPTimeouts: 20, UdpInDatagrams: 0 });
  });

  it('ignores counters it was not asked for and lines that are not counters', () => {
    expect(parseNstat('#kernel\nTcpOutSegs 265 0.0\nnot a counter line\n\n', ['TcpRetransSegs'])).toEqual({ TcpRetransSegs: 0 });
  });
});
