/**
 * Refuses a proxy whose upstream is its own listening address (reliability defect 12): a UDP
 * proxy pointed at itself forwards one datagram to itself forever (a CPU-bound loop), and a TCP
 * proxy chains connections to itself until it runs out of them.
 *
 * The check runs after binding, so a listen port of 0 is compared as the port it became. Two
 * addresses are the same when the ports are equal and the upstream host (resolved when it is a
 * name such as `localhost`) is the listening host, or is any address of this machine when the
 * proxy listens on a wildcard address (`0.0.0.0`, `::`).
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { FaultError } from './errors.js';
import { formatAddress } from './proxy-events.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '::0']);

/** `::ffff:127.0.0.1` → `127.0.0.1`, lower-case IPv6. */
function canonical(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && net.isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

/** Every address this machine answers on: its interfaces plus the whole loopback range's usual members. */
function localAddresses(): Set<string> {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(os.networkInterfaces())) for (const entry of list ?? []) out.add(canonical(entry.address));
  return out;
}

async function resolve(host: string): Promise<string[]> {
  if (net.isIP(host) !== 0) return [canonical(host)];
  try {
    return (await dns.lookup(host, { all: true })).map((entry) => canonical(entry.address));
  } catch {
    return []; // an unresolvable upstream fails later, per connection, with ERR_UPSTREAM_UNREACHABLE
  }
}

/** True when `upstreamHost:upstreamPort` is the bound address `boundHost:boundPort` itself. */
export async function isSelfUpstream(boundHost: string, boundPort: number, upstreamHost: string, upstreamPort: number): Promise<boolean> {
  if (boundPort !== upstreamPort) return false;
  const bound = canonical(boundHost);
  const targets = await resolve(upstreamHost);
  if (WILDCARDS.has(bound)) {
    const local = localAddresses();
    return targets.some((target) => local.has(target) || target.startsWith('127.') || WILDCARDS.has(target));
  }
  return targets.some((target) => target === bound || WILDCARDS.has(target));
}

/** Throws ERR_UPSTREAM_IS_SELF when the upstream is the proxy's own bound address. */
export async function assertNotSelf(
  protocol: 'tcp' | 'udp',
  boundHost: string,
  boundPort: number,
  upstreamHost: string,
  upstreamPort: number,
): Promise<void> {
  if (await isSelfUpstream(boundHost, boundPort, upstreamHost, upstreamPort)) {
    const listen = formatAddress(boundHost, boundPort);
    const upstream = formatAddress(upstreamHost, upstreamPort);
    throw new FaultError(
      'ERR_UPSTREAM_IS_SELF',
      `the upstream ${upstream} is this proxy's own ${protocol} address ${listen}: traffic would loop back into the proxy forever; point the upstream at the real server`,
      { details: { listen, upstream } },
    );
  }
}
