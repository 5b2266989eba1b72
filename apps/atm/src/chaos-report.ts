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
      ['attempts', `${result.link.attempts} (${result.link.retries} retries)`],
      ['timeouts', String(result.link.timeouts)],
      ['replies from the log', String(result.link.fromLog)],
      ['observed loss', `${(result.observedLoss * 100).toFixed(1)}%`],
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
export function renderChaosSvg(samples: readonly ChaosSample[], title: string): string {
  const width = 800;
  const height = 320;
  const pad = { left: 50, right: 20, top: 40, bottom: 40 };
  const maxT = Math.max(1, ...samples.map((s) => s.t));
  const maxY = Math.max(1, ...samples.map((s) => s.attempts));
  const x = (t: number): number => pad.left + (t / maxT) * (width - pad.left - pad.right);
  const y = (v: number): number => height - pad.bottom - (v / maxY) * (height - pad.top - pad.bottom);
  const series = [
    ['attempts', '#2563eb'],
    ['retries', '#f59e0b'],
    ['errors', '#dc2626'],
  ] as const;
  const paths = series.map(([key, color]) => {
    const d = samples.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.t).toFixed(1)},${y(s[key]).toFixed(1)}`).join(' ');
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`;
  });
  const legend = series.map(([key, color], i) => `<text x="${pad.left + 10 + i * 110}" y="${pad.top - 12}" fill="${color}" font-size="13">■ ${key}</text>`);
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad.left}" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`,
    ...legend,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#888"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#888"/>`,
    `<text x="${pad.left - 8}" y="${pad.top + 4}" font-size="11" text-anchor="end">${maxY}</text>`,
    `<text x="${pad.left - 8}" y="${height - pad.bottom}" font-size="11" text-anchor="end">0</text>`,
    `<text x="${width - pad.right}" y="${height - 12}" font-size="11" text-anchor="end">${(maxT / 1000).toFixed(1)} s</text>`,
    `<text x="${(width / 2).toFixed(0)}" y="${height - 12}" font-size="11" text-anchor="middle">time (per 0.5 s)</text>`,
    ...paths,
    '</svg>',
    '',
  ].join('\n');
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
