/**
 * A trace as a Mermaid sequence diagram (https://mermaid.js.org/syntax/sequenceDiagram.html):
 * `participant` per lane, `->>` for a client's messages, `-->>` for replies, `-x` / `--x` for
 * lost ones, `-)` for connect/FIN/RST, `Note over` for faults, notes and closes, and one closing
 * note counting what a long run left out.
 *
 * Text is escaped with Mermaid's entity codes (`#59;` for `;`, `#35;` for `#`, `#60;`/`#62;` for
 * angle brackets, `#37;` for `%`), so a message can never end a statement or open markup early.
 */
import type { TraceRecord } from './record.js';
import { type Sequence, type SequenceOptions, buildSequence } from './sequence.js';

/** Escapes text for a Mermaid label, participant alias or note. */
export function escapeMermaid(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[#;<>%]/g, (char) => `#${char.charCodeAt(0)};`);
}

/** Renders a sequence model as Mermaid text. */
export function renderMermaid(sequence: Sequence): string {
  const lines = ['sequenceDiagram'];
  for (const lane of sequence.lanes) lines.push(`  participant ${lane.id} as ${escapeMermaid(lane.title)}`);
  const id = (index: number): string => sequence.lanes[index]?.id ?? 'L1';
  for (const step of sequence.steps) {
    if (step.kind === 'note') {
      const over = step.over.length === 0 ? [0] : step.over;
      const lanes = [...new Set(over)].map(id).join(',');
      lines.push(`  Note over ${lanes}: ${escapeMermaid(step.text)}`);
      continue;
    }
    const line = step.reply ? '--' : '-';
    const head = step.lost ? 'x' : step.control ? ')' : '>>';
    const label = step.lost && !step.label.endsWith('(dropped)') ? `${step.label} (lost)` : step.label;
    lines.push(`  ${id(step.from)}${line}${head}${id(step.to)}: ${escapeMermaid(label)}`);
  }
  const { omitted } = sequence;
  if (omitted.steps > 0 && sequence.lanes.length > 0) {
    const all = sequence.lanes.length === 1 ? id(0) : `${id(0)},${id(sequence.lanes.length - 1)}`;
    lines.push(`  Note over ${all}: ${escapeMermaid(summaryText(sequence))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `… 940 more steps not drawn: 900 messages (12 lost), 30 faults, 10 connection events`. */
export function summaryText(sequence: Sequence): string {
  const { omitted } = sequence;
  const parts: string[] = [];
  if (omitted.messages > 0) parts.push(`${omitted.messages} messages${omitted.lost > 0 ? ` (${omitted.lost} lost)` : ''}`);
  if (omitted.faults > 0) parts.push(`${omitted.faults} faults`);
  if (omitted.notes > 0) parts.push(`${omitted.notes} notes`);
  if (omitted.events > 0) parts.push(`${omitted.events} connection events`);
  return `… ${omitted.steps} more steps not drawn: ${parts.join(', ')}`;
}

/** A trace → Mermaid text (buildSequence + renderMermaid). */
export function traceToMermaid(records: readonly TraceRecord[], options: SequenceOptions = {}): string {
  return renderMermaid(buildSequence(records, options));
}
