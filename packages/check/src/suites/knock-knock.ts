/** Server suite of docs/protocols/knock-knock.md: the Java tutorial's jokes with their exact strings. */
import type { ServerSuite } from '../case.js';
import type { TcpProbe } from '../tcp-probe.js';
import { type LineProtocol, LINE_LIMIT, concurrencyCases, converse, faultCases, framingCases, robustnessCases, serverCase } from './helpers.js';

const X = 'knock-knock';
const KNOCK = 'Knock! Knock!';
const JOKES = [
  ['Turnip', "Turnip the heat, it's cold in here!"],
  ['Little Old Lady', "I didn't know you could yodel!"],
  ['Atch', 'Bless you!'],
  ['Who', 'Is there an owl in here?'],
  ['Who', 'Is there an echo in here?'],
] as const;
const WRONG_KNOCK = `You're supposed to say "Who's there?"! Try again. ${KNOCK}`;

async function tellJoke(probe: TcpProbe, index: number): Promise<void> {
  const [clue, answer] = JOKES[index % JOKES.length] ?? JOKES[0];
  await converse(probe, { send: "Who's there?", expect: [clue] });
  await converse(probe, { send: `${clue} who?`, expect: [`${answer} Want another? (y/n)`] });
}

export const knockKnockProtocol: LineProtocol = {
  exercise: X,
  ready: async (probe) => {
    await probe.expectLine(KNOCK);
  },
  // In SENTKNOCKKNOCK a wrong answer is corrected and the state stays: repeatable.
  exchange: (rng) => (rng.chance(0.5) ? { send: 'Who is it?', expect: [WRONG_KNOCK] } : { send: 'hello', expect: [WRONG_KNOCK] }),
  // Multi-byte, and a wrong answer whatever the server's matching rules: only reassembly is tested.
  utf8: { send: 'Qui est là ?', expect: [WRONG_KNOCK] },
  atLimit: () => ({ send: 'k'.repeat(LINE_LIMIT), expect: [WRONG_KNOCK] }),
  tooLong: 'ERROR line too long',
  invalidUtf8: 'ERROR invalid UTF-8',
};

export const knockKnockSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [
    serverCase(X, 'basic', 'joke', 'tells the first joke and says "Bye." after "n", then closes', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.expectLine(KNOCK);
      await tellJoke(probe, 0);
      await converse(probe, { send: 'n', expect: ['Bye.'] });
      await probe.expectClosed();
    }),
    serverCase(X, 'basic', 'another', 'tells the next joke after "y", all five in order, then the first again', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.expectLine(KNOCK);
      for (let i = 0; i <= JOKES.length; i++) {
        await tellJoke(probe, i);
        await converse(probe, { send: 'y', expect: [KNOCK] });
      }
    }),
    serverCase(X, 'basic', 'wrong-knock', 'corrects anything but "Who\'s there?" and knocks again', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.expectLine(KNOCK);
      await converse(probe, { send: "Who's there", expect: [WRONG_KNOCK] });
      await tellJoke(probe, 0);
    }),
    serverCase(X, 'basic', 'wrong-who', 'corrects a wrong "<clue> who?" and starts over', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.expectLine(KNOCK);
      await converse(probe, { send: "Who's there?", expect: ['Turnip'] });
      await converse(probe, { send: 'Potato who?', expect: [`You're supposed to say "Turnip who?"! Try again. ${KNOCK}`] });
      await tellJoke(probe, 0);
    }),
    serverCase(X, 'basic', 'lenient-match', 'ignores case, surrounding spaces and tabs, and accepts a curly apostrophe', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.expectLine(KNOCK);
      await converse(probe, { send: '  WHO’S THERE?\t', expect: ['Turnip'] });
      await converse(probe, { send: 'turnip WHO?', expect: ["Turnip the heat, it's cold in here! Want another? (y/n)"] });
      await converse(probe, { send: 'no', expect: ['Bye.'] });
      await probe.expectClosed();
    }),
    ...framingCases(knockKnockProtocol),
    ...concurrencyCases(knockKnockProtocol),
    ...robustnessCases(knockKnockProtocol),
    ...faultCases(knockKnockProtocol),
  ],
};
