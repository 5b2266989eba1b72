import { createLineDecoder, pushChunk } from '@netlab/codec';
import { CliError } from './errors.js';

export interface InputLinesOptions {
  /** Longest accepted input line in bytes. Default 8192. */
  readonly maxLineBytes?: number;
}

/**
 * Reads `input` (stdin by default) as UTF-8 lines, bounded: a line over the limit or invalid
 * UTF-8 ends iteration with a `CliError` (ERR_INPUT). `\r\n` and a final unterminated line work.
 */
export async function* readInputLines(
  input: NodeJS.ReadableStream = process.stdin,
  options: InputLinesOptions = {},
): AsyncGenerator<string, void, undefined> {
  const decoder = createLineDecoder({ maxLineBytes: options.maxLineBytes ?? 8192 });
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    const { messages, error } = pushChunk(decoder, bytes);
    yield* messages;
    if (error !== undefined) throw new CliError('ERR_INPUT', `input ${error.message}`, { cause: error });
  }
  try {
    yield* decoder.end();
  } catch (error) {
    throw new CliError('ERR_INPUT', `input: ${(error as Error).message}`, { cause: error });
  }
}
