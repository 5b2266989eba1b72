import { describe, expect, it } from 'vitest';
import { isTestHostsError, lossRuleset, parseLossCounters, parseNetnsList } from '../src/index.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isTestHostsError(error) ? error.code : 'not a TestHostsError';
  }
  return undefined;
}

describe('the nftables loss ruleset', () => {
  it('counts and drops on the link interface in both directions, in tenths of a thousandth', () => {
    const script = lossRuleset('veth-a', { inbound: 0.2, outbound: 0.0125 });
    expect(script).toContain('table ip netlab_faults {');
    expect(script).toContain('type filter hook input priority filter; policy accept;');
    expect(script).toContain('iifname "veth-a" counter name "inbound_seen"');
    expect(script).toContain('iifname "veth-a" numgen random mod 10000 < 2000 counter name "inbound_dropped" drop');
    expect(script).toContain('oifname "veth-a" numgen random mod 10000 < 125 counter name "outbound_dropped" drop');
    // Replaces a table that exists, and works when none does.
    expect(script.split('\n').slice(0, 2)).toEqual(['add table ip netlab_faults', 'delete table ip netlab_faults']);
  });

  it('accepts loss 0 and 1 and refuses anything outside with ERR_INVALID_OPTION', () => {
    expect(lossRuleset('veth-a', { inbound: 0, outbound: 1 })).toContain('mod 10000 < 10000');
    expect(codeOf(() => lossRuleset('veth-a', { inbound: -0.01, outbound: 0 }))).toBe('ERR_INVALID_OPTION');
    expect(codeOf(() => lossRuleset('veth-a', { inbound: 0, outbound: 1.01 }))).toBe('ERR_INVALID_OPTION');
    expect(codeOf(() => lossRuleset('veth-a', { inbound: Number.NaN, outbound: 0 }))).toBe('ERR_INVALID_OPTION');
  });

  it('refuses an interface name that could break out of the quoted string', () => {
    expect(codeOf(() => lossRuleset('veth"; flush ruleset', { inbound: 0.1, outbound: 0.1 }))).toBe('ERR_INVALID_OPTION');
    expect(codeOf(() => lossRuleset('a'.repeat(16), { inbound: 0.1, outbound: 0.1 }))).toBe('ERR_INVALID_OPTION');
  });

  it('reads the four counters from nft -j output', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        ...[['inbound_seen', 100], ['inbound_dropped', 21], ['outbound_seen', 79], ['outbound_dropped', 15]].map(([name, packets]) => ({ counter: { family: 'ip', name, table: 'netlab_faults', packets, bytes: 0 } })),
      ],
    });
    expect(parseLossCounters(json)).toEqual({ inbound: { seen: 100, dropped: 21 }, outbound: { seen: 79, dropped: 15 } });
  });

  it('fails with ERR_COMMAND_FAILED when a counter is missing or the output is not JSON', () => {
    expect(codeOf(() => parseLossCounters('{"nftables": []}'))).toBe('ERR_COMMAND_FAILED');
    expect(codeOf(() => parseLossCounters('Error: No such file or directory'))).toBe('ERR_COMMAND_FAILED');
  });

  it('reads namespace names from ip netns list, with or without ids', () => {
    expect(parseNetnsList('nlh-1-ab-b (id: 1)\nnlh-1-ab-a (id: 0)\nplain\n\n')).toEqual(['nlh-1-ab-b', 'nlh-1-ab-a', 'plain']);
  });
});
