/**
 * A sequence model as a standalone SVG, drawn without a browser or a layout engine: lanes with
 * a header box and a dashed lifeline, one row per step, arrows with their label above, lost
 * messages ending in a red cross half-way, notes as yellow boxes. Text is monospace, so widths
 * are known from the character count (0.6 em per character) and labels never overlap.
 * The output is plain SVG 1.1 that `rsvg-convert`, Inkscape and every browser render alike.
 */
import type { TraceRecord } from './record.js';
import { type Sequence, type SequenceOptions, buildSequence } from './sequence.js';
import { summaryText } from './mermaid.js';

const FONT_SIZE = 12;
const CHAR = FONT_SIZE * 0.6;
const ROW = 30;
const NOTE_ROW = 28;
const HEADER = 44;
const MARGIN = 20;

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[char] ?? char);

const textWidth = (text: string): number => Array.from(text).length * CHAR;

/** Renders a sequence model as SVG text. */
export function renderSvg(sequence: Sequence, title?: string): string {
  const lanes = sequence.lanes.length === 0 ? [{ id: 'L1', title: '(empty trace)' }] : sequence.lanes;
  const widest = Math.max(
    0,
    ...sequence.steps.map((step) => {
      if (step.kind === 'message') return textWidth(step.label) / Math.max(1, Math.abs(step.to - step.from));
      return textWidth(step.text) / Math.max(1, step.over.length);
    }),
  );
  const laneBox = (text: string): number => textWidth(text) + 16;
  const gap = Math.min(560, Math.max(180, widest + 40, ...lanes.map((lane) => laneBox(lane.title) + 20)));
  const x = (index: number): number => MARGIN + laneBox(lanes[0]?.title ?? '') / 2 + index * gap;
  const summary = sequence.omitted.steps > 0 ? summaryText(sequence) : undefined;
  const top = MARGIN + (title === undefined ? 0 : 24);
  const rowsHeight = sequence.steps.reduce((sum, step) => sum + (step.kind === 'note' ? NOTE_ROW : ROW), 0) + (summary === undefined ? 0 : NOTE_ROW);
  const lastX = x(lanes.length - 1);
  const width = Math.ceil(Math.max(lastX + laneBox(lanes.at(-1)?.title ?? '') / 2 + MARGIN, summary === undefined ? 0 : textWidth(summary) + 2 * MARGIN + 20, title === undefined ? 0 : textWidth(title) + 2 * MARGIN));
  const bottom = top + HEADER + rowsHeight + 16;
  const height = bottom + HEADER + MARGIN;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT_SIZE}">`,
    '<defs>',
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>',
    '<marker id="open" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#333" stroke-width="1.5"/></marker>',
    '</defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (title !== undefined) out.push(`<text x="${MARGIN}" y="${MARGIN + 12}" font-weight="bold">${escapeXml(title)}</text>`);
  const box = (cx: number, y: number, text: string): void => {
    const w = laneBox(text);
    out.push(`<rect x="${cx - w / 2}" y="${y}" width="${w}" height="28" rx="4" fill="#eef3fb" stroke="#4a6fa5"/>`);
    out.push(`<text x="${cx}" y="${y + 18}" text-anchor="middle">${escapeXml(text)}</text>`);
  };
  lanes.forEach((lane, index) => {
    const cx = x(index);
    box(cx, top, lane.title);
    out.push(`<line x1="${cx}" y1="${top + 28}" x2="${cx}" y2="${bottom}" stroke="#999" stroke-dasharray="4 4"/>`);
    box(cx, bottom, lane.title);
  });
  let y = top + HEADER;
  const note = (over: readonly number[], text: string): void => {
    const xs = (over.length === 0 ? [0] : over).map(x);
    const left = Math.min(...xs);
    const right = Math.max(...xs);
    const w = Math.max(textWidth(text) + 16, right - left + 40);
    const cx = (left + right) / 2;
    out.push(`<rect x="${cx - w / 2}" y="${y}" width="${w}" height="22" fill="#fff5c2" stroke="#c9a400"/>`);
    out.push(`<text x="${cx}" y="${y + 15}" text-anchor="middle">${escapeXml(text)}</text>`);
    y += NOTE_ROW;
  };
  for (const step of sequence.steps) {
    if (step.kind === 'note') {
      note(step.over, step.text);
      continue;
    }
    const x1 = x(step.from);
    const x2 = x(step.to);
    const lineY = y + 20;
    const colour = step.lost ? '#c0392b' : '#333';
    const dash = step.reply ? ' stroke-dasharray="6 4"' : '';
    out.push(`<text x="${(x1 + x2) / 2}" y="${lineY - 5}" text-anchor="middle" fill="${step.lost ? '#c0392b' : '#000'}">${escapeXml(step.label)}</text>`);
    if (step.lost) {
      const end = x1 + (x2 - x1) * 0.6;
      out.push(`<line x1="${x1}" y1="${lineY}" x2="${end}" y2="${lineY}" stroke="${colour}" stroke-width="1.5"${dash}/>`);
      out.push(`<path d="M${end - 6},${lineY - 6} L${end + 6},${lineY + 6} M${end - 6},${lineY + 6} L${end + 6},${lineY - 6}" stroke="${colour}" stroke-width="2.5"/>`);
    } else {
      const marker = step.control ? 'open' : 'arrow';
      out.push(`<line x1="${x1}" y1="${lineY}" x2="${x2}" y2="${lineY}" stroke="${colour}" stroke-width="1.5"${dash} marker-end="url(#${marker})"/>`);
    }
    y += ROW;
  }
  if (summary !== undefined) note(lanes.map((_, index) => index), summary);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** A trace → SVG text (buildSequence + renderSvg). */
export function traceToSvg(records: readonly TraceRecord[], options: SequenceOptions & { readonly title?: string } = {}): string {
  return renderSvg(buildSequence(records, options), options.title);
}
