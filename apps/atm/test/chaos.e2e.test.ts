/**
 * CI-sized chaos runs with real server processes: 8 ATMs × 200 operations, 20 % loss in each
 * direction, 10 SIGKILLs of the server under load, on SQLite, over TCP and over UDP. Each must
 * pass every check of the books read back from the store. Seeds are fixed so a failure replays
 * (the decisions are seeded; timing is not).
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../src/chaos.js';
import { formatChaosSummary, renderChaosSvg, renderLostReplyMermaid } from '../src/chaos-report.js';

describe.each([
  ['tcp', 601],
  ['udp', 602],
] as const)('chaos over %s on SQLite', (transport, seed) => {
  it(`keeps the books through 20% loss each way and 10 kills (seed ${seed})`, { timeout: 170_000 }, async () => {
    const result = await runChaos({ transport, clients: 8, operations: 200, kills: 10, loss: 0.2, seed, maxTimeMs: 150_000 });
    console.log(formatChaosSummary(result).join('\n'));
    for (const check of result.checks) expect(check, check.detail).toMatchObject({ ok: true });
    expect(result.passed).toBe(true);
    expect(result.killsUnderLoad).toBeGreaterThanOrEqual(10);
    expect(result.operations.done).toBe(1600);
    expect(result.link.retries).toBeGreaterThan(0);
    expect(result.link.fromLog).toBeGreaterThan(0);
    expect(result.audit?.applied.size).toBe(result.acknowledged);
    expect(renderChaosSvg(result.samples, 'chaos')).toMatch(/^<svg [^>]*>[\s\S]*<path d="M[\s\S]*<\/svg>\n$/);
    expect(renderLostReplyMermaid(result.lostReply)).toMatch(/^sequenceDiagram\n[\s\S]*record found: not run again/);
  });
});
