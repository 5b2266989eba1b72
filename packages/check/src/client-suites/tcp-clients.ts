/**
 * Client suites of the TCP line exercises (echo, calculator, chat): netlab plays a scripted
 * server that follows docs/protocols/<exercise>.md, feeds the client its input on stdin, and
 * checks what the client sent, what it printed and that it ended by itself.
 */
import type { ClientSuite } from '../case.js';
import type { TcpProbe } from '../tcp-probe.js';
import { CLIENT_RUN_TIMEOUT_MS, clientCase, expectExit, expectPrinted, expectSent, runClient } from './helpers.js';
import { startScriptedTcpServer } from './scripted-server.js';

/** Reads lines until the client closes, answering each with `answer` (undefined: close after the reply list). */
async function serve(peer: TcpProbe, received: string[], answer: (line: string) => { readonly lines: readonly string[]; readonly close?: boolean; readonly pieces?: boolean }): Promise<void> {
  for (;;) {
    const line = await peer.nextLine({ timeoutMs: 60_000 });
    if (line === undefined) return;
    received.push(line);
    const reply = answer(line);
    const text = reply.lines.map((l) => `${l}\n`).join('');
    if (reply.pieces === true) await peer.sendInPieces(text, 1, 20);
    else if (text !== '') await peer.send(text);
    if (reply.close === true) {
      peer.end();
      return;
    }
  }
}

const echoAnswer = (line: string): { lines: string[]; close?: boolean } => (line.trim().toLowerCase() === 'bye' ? { lines: ['Goodbye'], close: true } : { lines: [line] });

export const echoClientSuite: ClientSuite = {
  role: 'client',
  exercise: 'echo',
  transport: 'tcp',
  cases: [
    clientCase('echo', 'lines', 'sends each input line and prints each reply, then exits 0 at the end of input', async (ctx) => {
      const received: string[] = [];
      const server = await startScriptedTcpServer(ctx, (peer) => serve(peer, received, echoAnswer));
      const word = `line ${ctx.rng.int(1000)}`;
      const run = await runClient(ctx, server.endpoint, `hello\ngrüß dich\n${word}\n`);
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectSent(received, ['hello', 'grüß dich', word]);
      expectPrinted(run, ['hello', 'grüß dich', word]);
    }),
    clientCase('echo', 'bye', 'ends the session on "bye": prints "Goodbye", sends nothing more, exits 0', async (ctx) => {
      const received: string[] = [];
      const server = await startScriptedTcpServer(ctx, (peer) => serve(peer, received, echoAnswer));
      const run = await runClient(ctx, server.endpoint, 'hi\nbye\nnever sent\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectSent(received, ['hi', 'bye']);
      expectPrinted(run, ['hi', 'Goodbye']);
    }),
    clientCase('echo', 'split-reply', 'prints a reply that arrives one byte per segment as one line', async (ctx) => {
      const received: string[] = [];
      const server = await startScriptedTcpServer(ctx, (peer) => serve(peer, received, (line) => ({ ...echoAnswer(line), pieces: true })));
      const run = await runClient(ctx, server.endpoint, 'hello there\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectPrinted(run, ['hello there']);
    }),
  ],
};

function calculatorAnswer(line: string, state: { named: boolean }): { lines: string[]; close?: boolean } {
  if (line.trim() === 'q' || line.trim() === 'Q') return { lines: ['Session ended'], close: true };
  if (!state.named) {
    state.named = true;
    return { lines: [`Hello, ${line.trim()}`] };
  }
  const answers: Readonly<Record<string, string>> = { '12 + 42': '54', '4.5 / -6': '-0.75', '0.1 + 0.2': '0.3' };
  return { lines: [answers[line.trim()] ?? 'ERROR invalid expression'] };
}

export const calculatorClientSuite: ClientSuite = {
  role: 'client',
  exercise: 'calculator',
  transport: 'tcp',
  cases: [
    clientCase('calculator', 'session', 'sends the name first, then each request; prints every reply; "q" ends the session, exit 0', async (ctx) => {
      const received: string[] = [];
      const server = await startScriptedTcpServer(ctx, (peer) => {
        const state = { named: false };
        return serve(peer, received, (line) => calculatorAnswer(line, state));
      });
      const run = await runClient(ctx, server.endpoint, 'Ada\n12 + 42\n4.5 / -6\nq\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectSent(received, ['Ada', '12 + 42', '4.5 / -6', 'q']);
      expectPrinted(run, ['Hello, Ada', '54', '-0.75', 'Session ended']);
    }),
    clientCase('calculator', 'no-reply-after-q', 'sends nothing after "q" and exits once the server closes', async (ctx) => {
      const received: string[] = [];
      const server = await startScriptedTcpServer(ctx, (peer) => {
        const state = { named: false };
        return serve(peer, received, (line) => calculatorAnswer(line, state));
      });
      const run = await runClient(ctx, server.endpoint, 'Grace\nq\n0.1 + 0.2\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectSent(received, ['Grace', 'q']);
      expectPrinted(run, ['Hello, Grace', 'Session ended']);
    }),
  ],
};

export const chatClientSuite: ClientSuite = {
  role: 'client',
  exercise: 'chat',
  transport: 'tcp',
  cases: [
    clientCase('chat', 'session', 'logs in with the first input line, prints room lines as they come (asked or not), leaves on "quit"', async (ctx) => {
      const received: string[] = [];
      const server = await startScriptedTcpServer(ctx, async (peer) => {
        const name = await peer.nextLine({ timeoutMs: 60_000 });
        if (name === undefined) return;
        received.push(name);
        await peer.send(`Welcome, ${name}!\n${name} has joined the chat.\n`);
        // A line the client did not ask for, pushed while it may be waiting on its input.
        await peer.send(`bob: hello ${name}\n`);
        await serve(peer, received, (line) =>
          line.trim().toLowerCase() === 'quit' || line.trim().toLowerCase() === '/quit' ? { lines: [`${name} has left the chat.`], close: true } : { lines: [`${name}: ${line.trim()}`] },
        );
      });
      const run = await runClient(ctx, server.endpoint, 'alice\nhi all\nquit\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectSent(received, ['alice', 'hi all', 'quit']);
      expectPrinted(run, ['bob: hello alice']);
      expectPrinted(run, ['alice: hi all']);
    }),
    clientCase('chat', 'refused-name', 'ends with a non-zero status when the server refuses the name and closes', async (ctx) => {
      const server = await startScriptedTcpServer(ctx, async (peer) => {
        await peer.nextLine({ timeoutMs: 60_000 });
        await peer.send('ERROR name taken\n');
        peer.end();
      });
      const run = await runClient(ctx, server.endpoint, 'alice\nhello\n');
      expectExit(run, false, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
    }),
  ],
};
