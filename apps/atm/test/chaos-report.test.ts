import { describe, expect, it } from 'vitest';
import { renderChaosSvg } from '../src/chaos-report.js';

describe('the chaos chart', () => {
  it('marks every kill, labels both axes, keeps the legend in its own row, and draws dots for a one-bucket run', () => {
    const svg = renderChaosSvg([{ t: 0, attempts: 7, retries: 2, errors: 0 }], 'short run', [120, 300]);
    expect(svg.match(/>kill \d</gu)).toEqual(['>kill 1<', '>kill 2<']);
    expect(svg).toContain('time since the start (s)');
    expect(svg).toContain('per 0.5 s');
    expect(svg.match(/<circle /gu)).toHaveLength(3);
    // The title's baseline (22) is above the legend row (52), which is above the plot (78).
    expect(svg).toMatch(/<text x="64" y="22"[^>]*>short run</u);
    expect(svg).toMatch(/<text x="\d+" y="52" font-size="12">attempts</u);
    expect([...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="11" text-anchor="end">/gu)].every((m) => Number(m[1]) >= 78)).toBe(true);
    expect(renderChaosSvg([], 'empty', [])).toContain('no SIGKILL in this run');
  });
});
