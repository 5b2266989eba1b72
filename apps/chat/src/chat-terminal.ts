/**
 * The chat client's terminal: a line editor (node:readline) whose input line survives incoming
 * messages. When a message arrives while the user is typing, the prompt and the partly typed
 * line (however many rows it wraps over) are erased, the message is printed on its own line,
 * and the prompt is drawn again below it with the typed text and the cursor where they were.
 * A line the user submits is erased too: the room sends it back as `<name>: <text>` in its
 * place in the room's order, so it appears once, where everyone else sees it.
 *
 * Limits: a submitted line longer than `maxLineBytes` is refused locally with a note (the
 * server would close the connection for it); at most {@link MAX_QUEUED_TERMINAL_LINES} submitted
 * lines wait for the client to read them (more are refused with a note).
 */
import { type Interface, clearScreenDown, createInterface, moveCursor } from 'node:readline';

/** Submitted lines held before further ones are refused. */
export const MAX_QUEUED_TERMINAL_LINES = 64;

export interface ChatTerminalOptions {
  /** Keyboard input. Required (a TTY in real use; any stream in tests). */
  readonly input: NodeJS.ReadableStream;
  /** The terminal. Required. */
  readonly output: NodeJS.WritableStream;
  /** The prompt. Default `> `. */
  readonly prompt?: string;
  /** Longest line the user may submit, in UTF-8 bytes. Default 8192. */
  readonly maxLineBytes?: number;
}

export interface ChatTerminal {
  /** The next submitted line, or undefined once the user ended the input (Ctrl-D, Ctrl-C) or `close()` ran. */
  next(): Promise<string | undefined>;
  /** Prints a line above the prompt, keeping what the user is typing intact. */
  print(line: string): void;
  /** Changes the prompt (after a rename) and redraws it. */
  setPrompt(prompt: string): void;
  /** Stops reading; a pending `next()` resolves undefined. Idempotent. */
  close(): void;
}

/**
 * Erases the prompt and the input line (every row it wraps over) and leaves the cursor where the
 * prompt started. readline's redraw (`prompt(true)`) first moves up by the rows it last drew
 * (`prevRows`, a long-standing undocumented field); it is reset so that the redraw starts where we
 * leave the cursor, below the printed message, instead of climbing into it.
 */
function eraseInputRows(rl: Interface, output: NodeJS.WritableStream): void {
  const { rows, cols } = rl.getCursorPos();
  moveCursor(output, -cols, -rows);
  clearScreenDown(output);
  (rl as unknown as { prevRows?: number }).prevRows = 0;
}

export function createChatTerminal(options: ChatTerminalOptions): ChatTerminal {
  const { input, output } = options;
  const maxLineBytes = options.maxLineBytes ?? 8192;
  const rl = createInterface({ input, output, prompt: options.prompt ?? '> ', terminal: true });
  const queue: string[] = [];
  let waiter: ((line: string | undefined) => void) | undefined;
  let ended = false;
  const settle = (): void => {
    if (waiter === undefined) return;
    const line = queue.shift();
    if (line === undefined && !ended) return;
    const resolve = waiter;
    waiter = undefined;
    resolve(line);
  };
  const note = (text: string): void => {
    output.write(`${text}\n`);
    rl.prompt(true);
  };
  rl.on('line', (line) => {
    // The submitted line was echoed with its prompt; erase it (the room echoes it back).
    const echoed = `${rl.getPrompt()}${line}`;
    const columns = (output as { columns?: number }).columns ?? 0;
    const rows = columns > 0 ? Math.max(1, Math.ceil(echoed.length / columns)) : 1;
    moveCursor(output, 0, -rows);
    clearScreenDown(output);
    if (Buffer.byteLength(line) > maxLineBytes) {
      note(`(not sent: longer than ${maxLineBytes} bytes)`);
      return;
    }
    if (queue.length >= MAX_QUEUED_TERMINAL_LINES) {
      note('(not sent: typing faster than the connection sends)');
      return;
    }
    if (line.trim() !== '') queue.push(line);
    rl.prompt();
    settle();
  });
  /**
   * Leaves the terminal on a clean line when the input ends (Ctrl-D, Ctrl-C, /quit, a lost
   * server), so the last messages and the shell prompt do not run into the prompt: an empty
   * input line is erased with its prompt, a half-typed one is kept and ended.
   */
  const leaveLine = (): void => {
    if (ended) return;
    if (rl.line === '') eraseInputRows(rl, output);
    else output.write('\r\n');
  };
  rl.on('close', () => {
    leaveLine();
    ended = true;
    settle();
  });
  // Ctrl-C ends the input like Ctrl-D: the client then leaves the room properly.
  rl.on('SIGINT', () => {
    rl.close();
  });
  rl.prompt();
  return {
    next() {
      return new Promise((resolve) => {
        waiter = resolve;
        settle();
      });
    },
    print(line) {
      if (ended) {
        output.write(`${line}\n`);
        return;
      }
      eraseInputRows(rl, output);
      output.write(`${line}\n`);
      rl.prompt(true);
    },
    setPrompt(prompt) {
      if (ended) return;
      eraseInputRows(rl, output);
      rl.setPrompt(prompt);
      rl.prompt(true);
    },
    close() {
      if (ended) return;
      leaveLine();
      ended = true;
      rl.close();
      settle();
    },
  };
}
