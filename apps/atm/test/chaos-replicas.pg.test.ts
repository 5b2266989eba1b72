/**
 * Two server replicas on one PostgreSQL store, 8 ATMs × 300 operations over TCP, 20 % loss each
 * way, 10 SIGKILLs alternating between the replicas; the ATMs fail over when theirs dies and all
 * switch once at half-time. The books must balance and no request id may be applied twice.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../src/chaos.js';
import { formatChaosSummary } from '../src/chaos-report.js';

const url = process.env.NETLAB_PG_URL;
const enabled = url !== undefined && url !== '';
if (!enabled) console.warn('SKIPPED: the ATM replica chaos run needs NETLAB_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');

describe.skipIf(!enabled)('chaos with two replicas on PostgreSQL', () => {
  it('keeps the books while ATMs fail over between replicas that are killed 10 times', { timeout: 170_000 }, async () => {
    const result = await runChaos({ transport: 'tcp', clients: 8, operations: 300, kills: 10, loss: 0.2, seed: 603, replicas: 2, store: url ?? '', maxTimeMs: 150_000 });
    console.log(formatChaosSummary(result).join('\n'));
    for (const check of result.checks) expect(check, check.detail).toMatchObject({ ok: true });
    expect(result.passed).toBe(true);
    expect(result.link.failovers).toBeGreaterThanOrEqual(8);
    expect(result.killsUnderLoad).toBeGreaterThanOrEqual(10);
  });
});
