import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/**
 * True when colours should be used on `stream`: a terminal, `NO_COLOR` unset or empty (the
 * no-color.org rule: only a non-empty value turns colours off), and `FORCE_COLOR` not `0`.
 */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY && (process.env.NO_COLOR ?? '') === '' && process.env.FORCE_COLOR !== '0';
}

/** Styles text when colours are on for `stream` (default stdout) or `FORCE_COLOR=1`, else returns it unchanged. */
export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return useColor(stream) || process.env.FORCE_COLOR === '1' ? styleText(style, text) : text;
}
