/**
 * The impairment flags of `netlab proxy`, as one table: the command registers, documents and
 * resolves them from it, so help text, parsing and defaults cannot drift apart.
 */
import { CliError, parseDuration, parseInteger, parseProbability } from '@netlab/cli-kit';

export type Protocol = 'tcp' | 'udp';

export interface ImpairmentFlag {
  /** Long flag name without dashes, e.g. `loss`. */
  readonly name: string;
  /** Which protocol it impairs, or both (`--jitter`). */
  readonly protocol: Protocol | 'both';
  /** The value placeholder in help (`P`, `MS`, `BYTES`...), or undefined for a switch. */
  readonly arg?: string;
  /** Help text, ending with the unit and default. */
  readonly help: string;
  /** True when `-up` / `-down` forms exist. */
  readonly perDirection: boolean;
  /** Parses the flag's text. */
  readonly parse?: (value: string, flag: string) => number;
  /** A hint printed when the flag is used with the other protocol. */
  readonly otherwise?: string;
}

const probability = (value: string, flag: string): number => parseProbability(value, flag);
const correlation = (value: string, flag: string): number => {
  const p = parseProbability(value, flag);
  // At 100% the Gilbert chain would never leave its first state.
  if (p >= 1) throw new CliError('ERR_USAGE', `invalid ${flag} "${value}": expected a correlation from 0 to below 100%`);
  return p;
};
const duration = (value: string, flag: string): number => parseDuration(value, flag);
const count = (value: string, flag: string): number => parseInteger(value, flag, 0);
const positive = (value: string, flag: string): number => parseInteger(value, flag, 1);

export const IMPAIRMENT_FLAGS: readonly ImpairmentFlag[] = [
  // UDP, netem names
  { name: 'loss', protocol: 'udp', arg: 'P', perDirection: true, parse: probability, help: 'lose datagrams with probability P (netem loss; 0.2 or 20%; default 0)' },
  {
    name: 'loss-correlation',
    protocol: 'udp',
    arg: 'P',
    perDirection: true,
    parse: correlation,
    help: 'correlation of successive losses, below 100%: losses come in bursts, the rate stays --loss (Gilbert model; default 0)',
  },
  { name: 'duplicate', protocol: 'udp', arg: 'P', perDirection: true, parse: probability, help: 'send datagrams twice with probability P (netem duplicate; default 0)' },
  {
    name: 'reorder',
    protocol: 'udp',
    arg: 'P',
    perDirection: true,
    parse: probability,
    help: 'hold datagrams back with probability P until the next one has passed (netem reorder; default 0)',
  },
  {
    name: 'reorder-delay',
    protocol: 'udp',
    arg: 'MS',
    perDirection: true,
    parse: duration,
    help: 'longest hold of a reordered datagram when nothing overtakes it, ms (default 50)',
  },
  { name: 'corrupt', protocol: 'udp', arg: 'P', perDirection: true, parse: probability, help: 'flip one random bit with probability P (netem corrupt; default 0)' },
  {
    name: 'delay',
    protocol: 'udp',
    arg: 'MS',
    perDirection: true,
    parse: duration,
    help: 'delay every datagram, ms (netem delay; default 0)',
    otherwise: 'for TCP use --latency',
  },
  { name: 'jitter', protocol: 'both', arg: 'MS', perDirection: true, parse: duration, help: '± uniform variation of --delay (UDP) or --latency (TCP), ms (default 0)' },
  { name: 'queue-limit', protocol: 'udp', arg: 'N', perDirection: false, parse: positive, help: 'most datagrams waiting per client and direction; more are counted overflowed (netem limit; default 1000)' },
  { name: 'max-clients', protocol: 'udp', arg: 'N', perDirection: false, parse: positive, help: 'client addresses tracked at once, least recently active evicted (default 256)' },
  { name: 'client-idle', protocol: 'udp', arg: 'MS', perDirection: false, parse: duration, help: 'forget a client silent this long, ms (default 60000)' },
  // TCP, toxiproxy names
  {
    name: 'latency',
    protocol: 'tcp',
    arg: 'MS',
    perDirection: true,
    parse: duration,
    help: 'delay every chunk, ms, order kept (toxiproxy latency; default 0)',
    otherwise: 'for UDP use --delay',
  },
  { name: 'bandwidth', protocol: 'tcp', arg: 'KBPS', perDirection: true, parse: count, help: 'rate limit in KB/s, 1 KB = 1000 bytes, 0 = unlimited (toxiproxy bandwidth; default 0)' },
  { name: 'slicer', protocol: 'tcp', perDirection: true, help: 'cut the stream into small slices at random points (toxiproxy slicer; default off)' },
  { name: 'slicer-size', protocol: 'tcp', arg: 'BYTES', perDirection: true, parse: positive, help: 'mean slice size, bytes (toxiproxy slicer average_size; default 64)' },
  { name: 'slicer-variation', protocol: 'tcp', arg: 'BYTES', perDirection: true, parse: count, help: '± slice size variation, bytes (toxiproxy slicer size_variation; default 32)' },
  { name: 'slicer-delay', protocol: 'tcp', arg: 'MS', perDirection: true, parse: duration, help: 'pause between slices, ms (toxiproxy slicer delay; default 0)' },
  { name: 'timeout', protocol: 'tcp', arg: 'MS', perDirection: true, parse: duration, help: 'stall all data, then close the connection after MS ms, 0 = off (toxiproxy timeout; default 0)' },
  {
    name: 'reset-peer',
    protocol: 'tcp',
    arg: 'P',
    perDirection: false,
    parse: probability,
    help: 'reset a connection with probability P, decided per connection (toxiproxy reset_peer; default 0)',
  },
  {
    name: 'reset-peer-after',
    protocol: 'tcp',
    arg: 'MS',
    perDirection: false,
    parse: duration,
    help: 'reset a chosen connection MS ms after it opens, 0 = at its first data (toxiproxy reset_peer timeout; default 0)',
  },
  { name: 'limit-data', protocol: 'tcp', arg: 'BYTES', perDirection: true, parse: count, help: 'close the connection after BYTES bytes, 0 = no limit (toxiproxy limit_data; default 0)' },
  { name: 'slow-close', protocol: 'tcp', arg: 'MS', perDirection: true, parse: duration, help: 'delay passing on the end of the stream (FIN), ms (toxiproxy slow_close; default 0)' },
  { name: 'max-connections', protocol: 'tcp', arg: 'N', perDirection: false, parse: positive, help: 'connections open at once (default 1024)' },
  { name: 'max-buffer', protocol: 'tcp', arg: 'BYTES', perDirection: false, parse: positive, help: 'bytes waiting per connection and direction before the proxy stops reading (default 65536)' },
];

/** `slicer-size` → `slicerSize`, as commander names option values. */
export function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
