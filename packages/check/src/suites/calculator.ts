/** Server suite of docs/protocols/calculator.md: a named session of exact decimal arithmetic. */
import type { ServerSuite } from '../case.js';
import type { TcpProbe } from '../tcp-probe.js';
import { type LineProtocol, LINE_LIMIT, concurrencyCases, converse, faultCases, framingCases, robustnessCases, serverCase } from './helpers.js';

const X = 'calculator';
const NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances'];

async function login(probe: TcpProbe, name: string): Promise<void> {
  await converse(probe, { send: name, expect: [`Hello, ${name}`] });
}

function reply(probe: TcpProbe, send: string, expect: string): Promise<void> {
  return converse(probe, { send, expect: [expect] });
}

export const calculatorProtocol: LineProtocol = {
  exercise: X,
  ready: (probe, n) => login(probe, NAMES[n % NAMES.length] ?? 'Ada'),
  // Small integers: exact in any arithmetic, so only the protocol is tested here.
  exchange: (rng) => {
    const a = rng.int(2000) - 1000;
    const b = rng.int(2000) - 1000;
    const op = ['+', '-', '*'][rng.int(3)] ?? '+';
    const value = op === '+' ? a + b : op === '-' ? a - b : a * b;
    return { send: `${a} ${op} ${b}`, expect: [String(value)] };
  },
  utf8: { send: 'Zoë', expect: ['ERROR invalid expression'] },
  atLimit: () => ({ send: `${' '.repeat(LINE_LIMIT - 5)}1 + 1`, expect: ['2'] }),
  tooLong: 'ERROR line too long',
  invalidUtf8: 'ERROR invalid UTF-8',
};

export const calculatorSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [
    serverCase(X, 'basic', 'session', 'greets by name, answers "12 + 42" and "4.5 / -6", ends on "q"', async (ctx) => {
      const probe = await ctx.tcp();
      await login(probe, 'Ada');
      await reply(probe, '12 + 42', '54');
      await reply(probe, '4.5 / -6', '-0.75');
      await reply(probe, 'q', 'Session ended');
      await probe.expectClosed();
    }),
    serverCase(X, 'basic', 'operators', 'applies + - * / % ^ with the documented rules (truncated %, integer ^)', async (ctx) => {
      const probe = await ctx.tcp();
      await login(probe, 'Grace');
      await reply(probe, '3-4', '-1');
      await reply(probe, '3 - -4', '7');
      await reply(probe, '6 * 7', '42');
      await reply(probe, '-7 % 3', '-1');
      await reply(probe, '5.5 % 2', '1.5');
      await reply(probe, '2 ^ 10', '1024');
      await reply(probe, '2 ^ -2', '0.25');
      await reply(probe, '0 ^ 0', '1');
      await converse(probe, calculatorProtocol.exchange(ctx.rng, 0, probe));
    }),
    serverCase(X, 'basic', 'exact-decimal', 'computes in exact decimal: "0.1 + 0.2" → "0.3", "1 / 3" to 34 digits', async (ctx) => {
      const probe = await ctx.tcp();
      await login(probe, 'Alan');
      await reply(probe, '0.1 + 0.2', '0.3');
      await reply(probe, '3.24 - 45', '-41.76');
      await reply(probe, '1 / 3', `0.${'3'.repeat(34)}`);
      await reply(probe, '2 / 3', `0.${'6'.repeat(33)}7`);
      await reply(probe, '12345678901234567890 * 10', '123456789012345678900');
    }),
    serverCase(X, 'basic', 'canonical', 'prints results canonically: no trailing zeros, no "+", never "-0"', async (ctx) => {
      const probe = await ctx.tcp();
      await login(probe, 'Edsger');
      await reply(probe, '1.50 + 1.50', '3');
      await reply(probe, '+5 - 5', '0');
      await reply(probe, '-0 * 3', '0');
      await reply(probe, '.5 + 5.', '5.5');
    }),
    serverCase(X, 'basic', 'names', 'refuses an empty or 65-character name, accepts "Zoë" after that; "Q" also quits', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, '', 'ERROR invalid name');
      await reply(probe, 'n'.repeat(65), 'ERROR name too long (max 64 characters)');
      await login(probe, 'Zoë');
      await reply(probe, 'Q', 'Session ended');
      await probe.expectClosed();
    }),
    ...framingCases(calculatorProtocol),
    ...concurrencyCases(calculatorProtocol),
    ...robustnessCases(calculatorProtocol),
    serverCase(X, 'robustness', 'errors', 'answers each bad request with its documented error and keeps the session', async (ctx) => {
      const probe = await ctx.tcp();
      await login(probe, 'Barbara');
      await reply(probe, '5 x 5', 'ERROR invalid expression');
      await reply(probe, '1e5 + 1', 'ERROR invalid expression');
      await reply(probe, '1 + 2 + 3', 'ERROR invalid expression');
      await reply(probe, '5 +', 'ERROR invalid expression');
      await reply(probe, '10 / 0', 'ERROR division by zero');
      await reply(probe, '7 % 0', 'ERROR division by zero');
      await reply(probe, '0 ^ -1', 'ERROR division by zero');
      await reply(probe, '2 ^ 0.5', 'ERROR exponent must be an integer');
      await reply(probe, `${'9'.repeat(101)} + 1`, 'ERROR operand too long (max 100 digits)');
      await reply(probe, '9 ^ 2000', 'ERROR result too large');
      await reply(probe, '1 + 1', '2');
    }),
    serverCase(X, 'robustness', 'error-order', 'reports the first error in the documented order (operand length, then form, then arithmetic)', async (ctx) => {
      const probe = await ctx.tcp();
      await login(probe, 'Donald');
      await reply(probe, `${'1'.repeat(101)} x 5`, 'ERROR operand too long (max 100 digits)');
      await reply(probe, '0 ^ -0.5', 'ERROR exponent must be an integer');
      await reply(probe, '10 / 0 / 2', 'ERROR invalid expression');
    }),
    ...faultCases(calculatorProtocol),
  ],
};
