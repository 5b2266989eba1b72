/**
 * Where a client's input lines come from: a terminal (interactive, with a prompt) or a pipe
 * (one input per line, scripted). Either way `next()` yields one line at a time and can be
 * abandoned with `close()` when the server hangs up first.
 *
 * Limits: a line of at most `maxLineBytes` UTF-8 bytes; piped input buffers at most
 * {@link MAX_QUEUED_INPUT_LINES} decoded lines before the pipe is paused.
 */
import { createInterface } from 'node:readline';
import { CliError } from '@netlab/cli-kit';
import { DEFAULT_MAX_LINE_BYTES, createLineDecoder, pushChunk } from '@netlab/codec';

/** Decoded piped lines held before the input stream is paused. */
export const MAX_QUEUED_INPUT_LINES = 64;
/** The interactive prompt. */
export const DEFAULT_PROMPT = '> ';

export interface LineInputOptions {
  /** Where lines come from. Default `process.stdin`. */
  readonly input?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** Where `print` and the prompt go. Default `process.stdout`. */
  readonly output?: NodeJS.WritableStream;
  /** Prompt and line editing. Default: true when `input` is a terminal. */
  readonly interactive?: boolean;
  /** The prompt shown when waiting for a line (interactive only). Default {@link DEFAULT_PROMPT}. */
  readonly prompt?: string;
  /** Longest input line in bytes. Default 8192 (`DEFAULT_MAX_LINE_BYTES`). */
  readonly maxLineBytes?: number;
}

export interface LineInput {
  readonly interactive: boolean;
  /** The next line, or undefined at the end of input (or after `close()`). Throws `ERR_INPUT` on bad input. */
  next(): Promise<string | undefined>;
  /** Writes a line to the output without garbling a prompt being shown. */
  print(line: string): void;
  /** Stops reading; a pending `next()` resolves undefined. Idempotent. */
  close(): void;
}

interface Waiter {
  resolve(line: string | undefined): void;
  reject(error: Error): void;
}

/** Creates a line source on stdin (or the given stream). */
export function createLineInput(options: LineInputOptions = {}): LineInput {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const interactive = options.interactive ?? input.isTTY === true;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return interactive ? terminalInput(input, output, options.prompt ?? DEFAULT_PROMPT, maxLineBytes) : pipedInput(input, output, maxLineBytes);
}

function pipedInput(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, maxLineBytes: number): LineInput {
  const decoder = createLineDecoder({ maxLineBytes });
  const queue: string[] = [];
  let ended = false;
  let failure: Error | undefined;
  let waiter: Waiter | undefined;
  const settle = (): void => {
    if (waiter === undefined) return;
    const current = waiter;
    const line = queue.shift();
    if (line !== undefined) {
      waiter = undefined;
      current.resolve(line);
    } else if (failure !== undefined) {
      waiter = undefined;
      current.reject(failure);
    } else if (ended) {
      waiter = undefined;
      current.resolve(undefined);
    }
  };
  const fail = (error: Error): void => {
    failure ??= error;
    stop();
    settle();
  };
  const onData = (chunk: string | Buffer): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const { messages, error } = pushChunk(decoder, bytes);
    queue.push(...messages);
    if (error !== undefined) {
      fail(new CliError('ERR_INPUT', `input ${error.message}`, { cause: error }));
      return;
    }
    if (queue.length >= MAX_QUEUED_INPUT_LINES) input.pause();
    settle();
  };
  const onEnd = (): void => {
    try {
      queue.push(...decoder.end());
    } catch (error) {
      fail(new CliError('ERR_INPUT', `input: ${(error as Error).message}`, { cause: error }));
      return;
    }
    ended = true;
    settle();
  };
  const onError = (error: Error): void => {
    fail(new CliError('ERR_INPUT', `cannot read input: ${error.message}`, { cause: error }));
  };
  function stop(): void {
    ended = true;
    input.off('data', onData);
    input.off('end', onEnd);
    input.off('error', onError);
    input.pause();
  }
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('error', onError);
  return {
    interactive: false,
    next() {
      if (queue.length < MAX_QUEUED_INPUT_LINES / 2 && !ended) input.resume();
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
        settle();
      });
    },
    print(line) {
      output.write(`${line}\n`);
    },
    close() {
      queue.length = 0;
      stop();
      settle();
    },
  };
}

function terminalInput(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, prompt: string, maxLineBytes: number): LineInput {
  const rl = createInterface({ input, output, prompt, terminal: true });
  const queue: string[] = [];
  let ended = false;
  let waiter: Waiter | undefined;
  const settle = (): void => {
    if (waiter === undefined) return;
    const line = queue.shift();
    if (line === undefined && !ended) return;
    const current = waiter;
    waiter = undefined;
    current.resolve(line);
  };
  rl.on('line', (line) => {
    if (Buffer.byteLength(line) > maxLineBytes) {
      process.stderr.write(`error: line too long (more than ${maxLineBytes} bytes), not sent\n`);
      if (waiter !== undefined) rl.prompt();
      return;
    }
    queue.push(line);
    settle();
  });
  rl.on('close', () => {
    // Ctrl-D / Ctrl-C while the prompt is shown: leave a clean line for whatever comes next
    // (the shell prompt, a last message): wipe an empty prompt, keep typed text and end its line.
    if (!ended && waiter !== undefined) output.write(rl.line === '' ? '\r\x1b[K' : '\r\n');
    ended = true;
    settle();
  });
  // Ctrl-C ends the input like Ctrl-D: the client then says goodbye to the server properly.
  rl.on('SIGINT', () => {
    rl.close();
  });
  return {
    interactive: true,
    next() {
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
        if (queue.length === 0 && !ended) rl.prompt();
        settle();
      });
    },
    print(line) {
      if (waiter !== undefined && !ended) {
        output.write(`\r\x1b[K${line}\n`);
        rl.prompt(true);
      } else {
        output.write(`${line}\n`);
      }
    },
    close() {
      if (ended) return;
      // Wipe a prompt left on screen when the server hung up while we waited for the user.
      if (waiter !== undefined) output.write('\r\x1b[K');
      ended = true;
      rl.close();
      settle();
    },
  };
}
