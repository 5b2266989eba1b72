/**
 * The nftables ruleset that makes a link lose packets, and the reading of its counters.
 *
 * One table, `ip netlab_faults`, in the namespace of the host the loss is applied on, with two
 * base chains on the `input` and `output` hooks (packets the host receives from the link and
 * packets it sends onto it). Each chain counts every packet of the link interface (`<dir>_seen`)
 * and then drops a random share of them (`numgen random mod 10000 < N`, N = loss × 10,000),
 * counting those too (`<dir>_dropped`). The kernel draws the random numbers: there is no seed,
 * so tests compare counts with a statistical bound, or the client's counts with these counters.
 * The table is IPv4 only (family `ip`): the test hosts have IPv4 addresses, and the IPv6
 * housekeeping of a fresh link must not skew the counters. ARP is not IP and is never dropped,
 * so the link keeps resolving neighbours.
 */
import { TestHostsError } from './errors.js';

/** The nftables table this package owns in a host's namespace. */
export const LOSS_TABLE = 'netlab_faults';

/** Resolution of a loss probability: 1/10,000. */
export const LOSS_RESOLUTION = 10_000;

/** Loss in each direction, seen from the host the rules sit on. */
export interface LinkLoss {
  /** Share of packets arriving from the link that are dropped, 0..1. */
  readonly inbound: number;
  /** Share of packets leaving onto the link that are dropped, 0..1. */
  readonly outbound: number;
}

/** Packets the rules saw and dropped in each direction since the loss was applied. */
export interface LossCounters {
  readonly inbound: { readonly seen: number; readonly dropped: number };
  readonly outbound: { readonly seen: number; readonly dropped: number };
}

function threshold(probability: number, name: string): number {
  if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
    throw new TestHostsError('ERR_INVALID_OPTION', `invalid ${name} loss ${String(probability)}: expected 0..1`, { details: { option: name, value: probability } });
  }
  return Math.round(probability * LOSS_RESOLUTION);
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** The `nft -f -` script that (re)creates the loss table for `ifname`. */
export function lossRuleset(ifname: string, loss: LinkLoss): string {
  if (!IFNAME.test(ifname)) throw new TestHostsError('ERR_INVALID_OPTION', `invalid interface name "${ifname}"`, { details: { option: 'ifname', value: ifname } });
  const inbound = threshold(loss.inbound, 'inbound');
  const outbound = threshold(loss.outbound, 'outbound');
  const chain = (name: string, hook: string, match: string, below: number): string[] => [
    `  chain ${name} {`,
    `    type filter hook ${hook} priority filter; policy accept;`,
    `    ${match} "${ifname}" counter name "${name}_seen"`,
    `    ${match} "${ifname}" numgen random mod ${String(LOSS_RESOLUTION)} < ${String(below)} counter name "${name}_dropped" drop`,
    '  }',
  ];
  return [
    // `add` then `delete` then `add`: replaces an existing table in one transaction, and works when there is none.
    `add table ip ${LOSS_TABLE}`,
    `delete table ip ${LOSS_TABLE}`,
    `table ip ${LOSS_TABLE} {`,
    ...['inbound_seen', 'inbound_dropped', 'outbound_seen', 'outbound_dropped'].map((name) => `  counter ${name} { }`),
    ...chain('inbound', 'input', 'iifname', inbound),
    ...chain('outbound', 'output', 'oifname', outbound),
    '}',
    '',
  ].join('\n');
}

/** Reads the counters out of `nft -j list counters table ip netlab_faults`. */
export function parseLossCounters(json: string): LossCounters {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new TestHostsError('ERR_COMMAND_FAILED', 'nft printed counters that are not JSON', { cause: error });
  }
  const packets = new Map<string, number>();
  const items = (parsed as { nftables?: unknown }).nftables;
  if (Array.isArray(items)) {
    for (const item of items as unknown[]) {
      const counter = (item as { counter?: { name?: unknown; packets?: unknown } }).counter;
      if (counter !== undefined && typeof counter.name === 'string' && typeof counter.packets === 'number') packets.set(counter.name, counter.packets);
    }
  }
  const read = (name: string): number => {
    const value = packets.get(name);
    if (value === undefined) throw new TestHostsError('ERR_COMMAND_FAILED', `nft has no counter ${name} in table ${LOSS_TABLE} (is loss applied?)`);
    return value;
  };
  return {
    inbound: { seen: read('inbound_seen'), dropped: read('inbound_dropped') },
    outbound: { seen: read('outbound_seen'), dropped: read('outbound_dropped') },
  };
}
