/**
 * What a chaos run prints and writes: the summary table, an SVG chart of attempts, retries and
 * errors over time (kills are not timestamped here: the chart shows their effect, the stalls),
 * and a Mermaid sequence diagram of one withdrawal whose reply was lost and later served from
 * the request log.
 */
import { formatCounters } from '@netlab/faults';
import { formatAmount } from '@netlab/service-atm';
import type { ChaosResult, ChaosSample, LostReplyTrace } from './chaos.js';

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`);
}

/** The summary table, as lines. */
export function formatChaosSummary(result: ChaosResult): string[] {
  const o = result.options;
  const seconds = result.durationMs / 1000;
  const lines = [
    `chaos run: ${o.clients} ATMs × ${o.operations} operations over ${o.transport.toUpperCase()}${(o.replicas ?? 1) > 1 ? ` to ${o.replicas} replicas` : ''}, seed ${o.seed}`,
    ...table([
      ['store', result.storeLabel],
      o.direct === true
        ? ['loss injected', `none by netlab: ATMs talk to ${o.serverHost ?? '127.0.0.1'} straight${o.serverNetns === undefined ? '' : ` (servers in netns ${o.serverNetns})`}, the network loses`]
        : ['loss injected', `${(o.loss * 100).toFixed(0)}% each way (${o.transport === 'udp' ? 'fault proxy drops datagrams' : 'server drops requests and replies; proxy slices the stream'})`],
      ['server kills', `${result.kills} SIGKILL (${result.killsUnderLoad} under load)${result.crashes > 0 ? `, ${result.crashes} crashes after commit` : ''}`],
      ['duration', `${seconds.toFixed(1)} s, ${(result.operations.done / Math.max(seconds, 0.001)).toFixed(0)} operations/s`],
      ['operations', `${result.operations.done} done, ${result.operations.failed} failed`],
      ['requests', String(result.link.requests)],
      ['attempts', `${result.link.attempts} (${result.link.retries} retransmissions)`],
      ['given up', `${result.link.timeouts} operations whose outcome stayed unknown (then retried)`],
      ['replies from the log', String(result.link.fromLog)],
      ['observed loss', `${(result.observedLoss * 100).toFixed(1)}% of attempts got no reply (per round trip, kills included)`],
      ...(result.link.failovers > 0 ? [['failovers', String(result.link.failovers)] as const] : []),
      ['acknowledged', `${result.acknowledged} request ids (${result.unresolved} never answered)`],
    ]),
  ];
  const kinds = Object.entries(result.operations.byKind).sort(([a], [b]) => a.localeCompare(b));
  lines.push('  outcomes:');
  lines.push(...table(kinds.map(([kind, n]) => [`  ${kind}`, String(n)])));
  if (result.audit !== undefined) {
    const a = result.audit;
    lines.push('  ledger (read from the store):');
    lines.push(
      ...table([
        ['  initial total', formatAmount(a.initialTotal)],
        ['  + deposits', formatAmount(a.deposited)],
        ['  = balances', formatAmount(a.balances)],
        ['  + held', formatAmount(a.held)],
        ['  + cash dispensed', formatAmount(a.dispensed)],
        ['  withdrawals', `${a.withdrawals.dispensed} dispensed, ${a.withdrawals.reversed} reversed, ${a.withdrawals.held} held`],
        ['  journal entries', String(a.journalEntries)],
      ]),
    );
  }
  if (result.faults !== undefined) lines.push('  fault proxy counters:', ...formatCounters(result.faults).split('\n').map((line) => `    ${line}`));
  lines.push('  checks:');
  for (const check of result.checks) lines.push(`    ${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  lines.push(result.passed ? 'PASS: nothing applied twice, nothing acknowledged lost, the books balance' : 'FAIL: see the checks above');
  return lines;
}

/** An SVG line chart of attempts, retries and errors per time slice. */
export function renderChaosSvg(samples: readonly ChaosSample[], title: string, killsAtMs: readonly number[] = []): string {
  const width = 800;
  const height = 380;
  const pad = { left: 64, right: 24, top: 78, bottom: 56 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  // At least one bucket wide, so a run shorter than 0.5 s still has an axis to stand on.
  const maxT = Math.max(1000, ...samples.map((s) => s.t + 500), ...killsAtMs.map((k) => k + 250));
  const top = Math.max(1, ...samples.map((s) => Math.max(s.attempts, s.retries, s.errors)));
  const yStep = niceStep(top / 4);
  const maxY = Math.ceil(top / yStep) * yStep;
  const x = (t: number): number => pad.left + (t / maxT) * plotW;
  const y = (v: number): number => pad.top + plotH - (v / maxY) * plotH;
  const series = [
    ['attempts', '#2563eb', ''],
    ['retries', '#f59e0b', ''],
    ['errors', '#dc2626', ' stroke-dasharray="6 3"'],
  ] as const;
  const out: string[] = [];
  // Grid and ticks.
  for (let v = 0; v <= maxY; v += yStep) {
    out.push(`<line x1="${pad.left}" y1="${y(v).toFixed(1)}" x2="${width - pad.right}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v}</text>`);
  }
  const xStepMs = [1000, 2000, 5000, 10_000, 30_000, 60_000].find((step) => maxT / step <= 12) ?? 120_000;
  for (let t = 0; t <= maxT; t += xStepMs) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${pad.top + plotH}" x2="${x(t).toFixed(1)}" y2="${pad.top + plotH + 5}" stroke="#888"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${pad.top + plotH + 18}" font-size="11" text-anchor="middle">${t / 1000}</text>`);
  }
  out.push(`<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}" stroke="#888"/>`);
  out.push(`<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + plotH}" stroke="#888"/>`);
  out.push(`<text x="${(pad.left + plotW / 2).toFixed(0)}" y="${height - 14}" font-size="12" text-anchor="middle">time since the start (s)</text>`);
  out.push(`<text x="16" y="${(pad.top + plotH / 2).toFixed(0)}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(pad.top + plotH / 2).toFixed(0)})">per 0.5 s</text>`);
  // Kills: a dashed vertical line each, numbered.
  killsAtMs.forEach((at, i) => {
    out.push(`<line x1="${x(at).toFixed(1)}" y1="${pad.top}" x2="${x(at).toFixed(1)}" y2="${pad.top + plotH}" stroke="#6b7280" stroke-dasharray="3 3"/>`);
    out.push(`<text x="${(x(at) + 3).toFixed(1)}" y="${pad.top + 11}" font-size="10" fill="#6b7280">kill ${i + 1}</text>`);
  });
  // Series: lines, and a dot on every sample (a short run has only one or two).
  for (const [key, color, dash] of series) {
    const points = samples.map((s) => [x(s.t + 250), y(s[key])] as const);
    if (points.length > 1) out.push(`<path d="${points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    if (points.length <= 20) for (const [px, py] of points) out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${color}"/>`);
  }
  // Legend: its own row between the title and the plot.
  const legend = [...series.map(([key, color]) => [key, color] as const), [killsAtMs.length === 0 ? 'no SIGKILL in this run' : 'SIGKILL of the server', '#6b7280'] as const];
  legend.forEach(([key, color], i) => {
    const lx = pad.left + i * 130;
    out.push(`<line x1="${lx}" y1="48" x2="${lx + 18}" y2="48" stroke="${color}" stroke-width="2"${key === 'errors' ? ' stroke-dasharray="6 3"' : key.includes('SIGKILL') ? ' stroke-dasharray="3 3"' : ''}/>`);
    out.push(`<text x="${lx + 24}" y="52" font-size="12">${key}</text>`);
  });
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad.left}" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

/** 1, 2 or 5 × a power of ten, at least `raw` (and at least 1). */
function niceStep(raw: number): number {
  const base = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  return [1, 2, 5, 10].map((m) => m * base).find((step) => step >= raw) ?? 10 * base;
}

/** A Mermaid sequence diagram of one withdrawal whose reply was lost. */
export function renderLostReplyMermaid(trace: LostReplyTrace | undefined): string {
  if (trace === undefined) return 'sequenceDiagram\n  Note over ATM,Bank: no withdrawal reply was lost in this run\n';
  const id = `${trace.clientId.slice(0, 8)}…:${trace.seq}`;
  const lines = ['sequenceDiagram', '  participant ATM', '  participant Net as network (fault proxy)', '  participant Bank', '  participant Log as request log + ledger'];
  trace.sends.forEach((at, i) => {
    lines.push(`  ATM->>Net: withdraw ${trace.amount > 0 ? formatAmount(trace.amount) : ''} id ${id} (attempt ${i + 1}, t+${at} ms)`);
    if (i === 0) {
      lines.push('  Net->>Bank: request');
      lines.push('  Bank->>Log: run once: hold funds + completion record, one commit');
      lines.push('  Bank-->>Net: APPROVED');
      lines.push('  Net--xATM: reply lost');
    } else if (i < trace.sends.length - 1) {
      lines.push('  Net--xBank: lost (or its reply was)');
    } else {
      lines.push('  Net->>Bank: same request id');
      lines.push('  Bank->>Log: record found: not run again');
      lines.push(`  Bank-->>ATM: the stored reply, byte for byte (replay, t+${trace.replyAt} ms)`);
    }
  });
  lines.push('  Note over ATM: dispense cash');
  lines.push(`  ATM->>Bank: confirm${trace.confirmSeq === undefined ? '' : ` (seq ${trace.confirmSeq})`}`);
  lines.push('  Bank-->>ATM: APPROVED (cash dispensed)');
  return `${lines.join('\n')}\n`;
}
