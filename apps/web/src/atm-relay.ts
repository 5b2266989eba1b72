/**
 * The ATM screen's terminal: each `/ws/atm` WebSocket of the page (token checked at the upgrade)
 * becomes one ATM of @netlab/service-atm (`createAtmClient` over `createAtmChannels`), talking to
 * the bank over its own TCP connection with the bank's framed protocol (u32 length + JSON
 * envelope), exactly as `netlab atm client` does. Exactly-once lives here, on the server side:
 * the page only says what the user pressed and shows what came back.
 *
 * Lost replies: the *Reply loss* slider drops whole reply envelopes on their way back from the
 * bank, after the bank committed them, decided by a seeded PRNG (`@netlab/faults`' `createPrng`).
 * This is the unit a lost reply is for exactly-once (the bank's `--drop-replies` fault, a lost
 * UDP datagram): a TCP fault proxy cannot lose one reply, since on TCP loss is a stall or a reset,
 * never missing bytes. The ATM retransmits the same request id; the bank answers from its log;
 * the withdrawal is applied once. Counters (resent, replies lost, answered from the log) go to
 * the page after every operation.
 *
 * Page protocol (one JSON object per text frame). Page → server:
 *   {"type":"login","card":"…","pin":"…"}   {"type":"balance"}   {"type":"logout"}
 *   {"type":"withdraw","amount":"20.00"}    {"type":"deposit","amount":"20.00"}
 *   {"type":"loss","percent":N}  (0 to {@link ATM_MAX_REPLY_LOSS_PERCENT})
 *   {"type":"chaos"}  (a chaos run: 4 more ATMs, one per demo account after the first, each 10
 *   withdrawals of 1.00 at once, under the page's reply loss)
 * Server → page:
 *   {"type":"result","op":…,"ok":bool,"code":…,"message":…,"balance"?,"amount"?,"holder"?,"dispensed"?}
 *   {"type":"progress","op":…,"attempt":N}   (a request resent: no reply yet)
 *   {"type":"stats","sent":N,"resent":N,"lost":N,"fromLog":N,"loss":P}
 *   {"type":"ledger", …a LedgerSnapshot (atm-ledger-view.ts)}
 *   {"type":"chaos","ms","total","finished","dispensed","failed",…counters}  (every 100 ms of a run)
 *   {"type":"error","message":…}             (a malformed frame, or busy)
 * One operation at a time per page (another while one runs is answered `error` "busy"). The PIN
 * is turned into a PIN block by the ATM client and never logged or kept.
 */
import { type ReplyEnvelope, type RequestEnvelope, createClientStreamCodec } from '@netlab/request-log';
import { type TcpClient, connectTcp } from '@netlab/transport-tcp';
import { type AtmClient, type AtmReply, DEMO_ACCOUNTS, createAtmChannels, createAtmClient, formatAmount, isValidCardNumber, isValidPin, parseAmount } from '@netlab/service-atm';
import { type Prng, createPrng } from '@netlab/faults';
import type { Service, SessionContext } from '@netlab/service';
import type { LedgerSnapshot, LedgerView } from './atm-ledger-view.js';

/** Highest reply loss the slider may set: 90 % (at 100 % no operation could ever finish). */
export const ATM_MAX_REPLY_LOSS_PERCENT = 90;
/** First retransmission of an unanswered request: 150 ms (then doubling, with jitter, up to 1 s). */
export const ATM_RETRANSMIT_MS = 150;
/** Time after which a request with no reply is an unknown outcome: 20 s. */
export const ATM_GIVE_UP_MS = 20_000;
/**
 * Largest frame either way: 64 KiB. The longest from the page is a login (under 200 bytes); the
 * longest to it a ledger snapshot (at most 50 accounts and 15 journal entries, about 10 KiB).
 */
export const ATM_MAX_FRAME_BYTES = 64 * 1024;

export interface AtmRelayOptions {
  /** Where the bank listens (TCP). Required. */
  readonly host: string;
  readonly port: number;
  /** The ledger and journal the pages are shown. Required. */
  readonly ledger: LedgerView;
  /** Seed of the reply-loss decisions (each page forks its own). Default 1. */
  readonly seed?: number;
}

type Op = 'login' | 'balance' | 'withdraw' | 'deposit' | 'logout' | 'chaos';

/** The chaos run's ATMs: one per demo account after the first (123456789 stays the user's). */
const CHAOS_ACCOUNTS = DEMO_ACCOUNTS.slice(1, 5);
/** Withdrawals per ATM in a chaos run: 10, of {@link CHAOS_AMOUNT} each. */
export const CHAOS_WITHDRAWALS = 10;
/** Amount of each chaos withdrawal: 1.00 (100 minor units). */
export const CHAOS_AMOUNT = 100;
/** Time between two chaos progress frames: 100 ms. */
export const CHAOS_TICK_MS = 100;

/** One reconnecting TCP connection to the bank: `send` is fire-and-forget (retransmission covers a gap). */
function createBankWire(options: AtmRelayOptions, onReply: (reply: ReplyEnvelope) => void, onReady: () => void): { send(request: RequestEnvelope): boolean; close(): void } {
  let client: TcpClient<ReplyEnvelope, RequestEnvelope> | undefined;
  let connecting = false;
  let closed = false;
  let delay = 50;
  const open = (): void => {
    if (closed || client !== undefined || connecting) return;
    connecting = true;
    connectTcp({ codec: createClientStreamCodec(), host: options.host, port: options.port, noDelay: true }).then(
      (tcp) => {
        connecting = false;
        if (closed) {
          void tcp.close();
          return;
        }
        client = tcp;
        delay = 50;
        void (async () => {
          try {
            for await (const reply of tcp) onReply(reply);
          } catch {
            // closed by the bank or the network: reconnect below
          }
        })().finally(() => {
          if (client === tcp) client = undefined;
          if (!closed) setTimeout(open, delay).unref();
        });
        onReady();
      },
      () => {
        connecting = false;
        delay = Math.min(2 * delay, 1000);
        if (!closed) setTimeout(open, delay).unref();
      },
    );
  };
  open();
  return {
    send(request) {
      if (client === undefined || client.closed) {
        open();
        return false;
      }
      try {
        client.send(request);
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closed = true;
      void client?.close();
      client = undefined;
    },
  };
}

function opOf(payload: unknown): string {
  const op = (payload as { op?: unknown } | null)?.op;
  return typeof op === 'string' ? op : '?';
}

function result(op: Op, reply: AtmReply, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'result',
    op,
    ok: reply.code === 'APPROVED',
    code: reply.code,
    message: reply.message,
    ...(reply.balance === undefined ? {} : { balance: reply.balance }),
    ...(reply.holder === undefined ? {} : { holder: reply.holder }),
    ...(reply.triesLeft === undefined ? {} : { triesLeft: reply.triesLeft }),
    ...extra,
  });
}

function failure(op: Op, code: string, message: string): string {
  return JSON.stringify({ type: 'result', op, ok: false, code, message });
}

interface Counters {
  sent: number;
  resent: number;
  lost: number;
  fromLog: number;
}

interface Terminal {
  readonly atm: AtmClient;
  close(): void;
}

/** One ATM: its own TCP connection to the bank, request-log channels, and the reply-loss decisions. */
function openTerminal(
  options: AtmRelayOptions,
  faults: { readonly loss: () => number; readonly prng: Prng; readonly counters: Counters; readonly onResend?: (op: string, attempt: number) => void },
): Terminal {
  const { counters } = faults;
  /** Transmissions of each request still waiting (`client id:seq`); dropped with the reply, or the channel. */
  const attempts = new Map<string, number>();
  const wire = createBankWire(
    options,
    (reply) => {
      const loss = faults.loss();
      if (loss > 0 && faults.prng.chance(loss)) {
        counters.lost++;
        return;
      }
      const id = `${reply.clientId}:${String(reply.seq)}`;
      if (attempts.delete(id) && reply.status === 'done' && reply.replay) counters.fromLog++;
      channels.receive(reply);
    },
    () => {
      channels.resend();
    },
  );
  const channels = createAtmChannels({
    send(request) {
      if (!wire.send(request)) return;
      const id = `${request.clientId}:${String(request.seq)}`;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      counters.sent++;
      if (attempt > 1) {
        counters.resent++;
        faults.onResend?.(opOf(request.payload), attempt);
      }
    },
    initialRetransmitMs: ATM_RETRANSMIT_MS,
    maxRetransmitMs: 1000,
    giveUpAfterMs: ATM_GIVE_UP_MS,
  });
  const atm = createAtmClient({
    connect: () => {
      // A new login: what the old channel still waited for will never be answered to it.
      attempts.clear();
      return channels.connect();
    },
  });
  return {
    atm,
    close() {
      channels.close();
      wire.close();
    },
  };
}

/** The service of the page's `/ws/atm` sockets. */
export function createAtmRelay(options: AtmRelayOptions): Service<string, string> {
  const root = createPrng(options.seed ?? 1);
  let pages = 0;
  return {
    name: 'atm-relay',
    open(_peer, ctx: SessionContext<string>) {
      const prng = root.fork(`page:${String(pages++)}`);
      let loss = 0;
      const counters: Counters = { sent: 0, resent: 0, lost: 0, fromLog: 0 };
      let busy = false;
      let closed = false;
      let chaosRunning = false;

      const stats = (): string => JSON.stringify({ type: 'stats', ...counters, loss: Math.round(loss * 100) });
      const terminal = openTerminal(options, {
        loss: () => loss,
        prng,
        counters,
        onResend: (op, attempt) => {
          if (!closed && !chaosRunning) ctx.send(JSON.stringify({ type: 'progress', op, attempt }));
        },
      });
      const atm = terminal.atm;
      const unsubscribe = options.ledger.subscribe((snapshot: LedgerSnapshot) => {
        if (!closed) ctx.send(JSON.stringify({ type: 'ledger', ...snapshot }));
      });

      const run = async (op: Op, work: () => Promise<string>): Promise<void> => {
        busy = true;
        let answer: string;
        try {
          answer = await work();
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          answer = failure(op, typeof code === 'string' ? code : 'ERR_INTERNAL', error instanceof Error ? error.message : String(error));
        } finally {
          busy = false;
        }
        if (closed) return;
        ctx.send(answer);
        ctx.send(stats());
      };

      const amountOf = (value: unknown): number | string => {
        if (typeof value !== 'string') return 'the amount is missing';
        const parsed = parseAmount(value);
        return parsed.ok ? parsed.minor : parsed.message;
      };

      let chaosRuns = 0;
      /** Several ATMs withdraw at once under the current reply loss; progress frames feed the page's chart. */
      const chaos = async (): Promise<string> => {
        const run = chaosRuns++;
        const started = Date.now();
        const total = CHAOS_ACCOUNTS.length * CHAOS_WITHDRAWALS;
        const progress = { dispensed: 0, failed: 0 };
        const frame = (finished: boolean): string => JSON.stringify({ type: 'chaos', ms: Date.now() - started, total, finished, ...progress, ...counters });
        const tick = setInterval(() => {
          if (!closed) ctx.send(frame(false));
        }, CHAOS_TICK_MS);
        const terminals = CHAOS_ACCOUNTS.map((_, i) => openTerminal(options, { loss: () => loss, prng: prng.fork(`chaos:${String(run)}:${String(i)}`), counters }));
        try {
          await Promise.all(
            terminals.map(async (terminal, i) => {
              const account = CHAOS_ACCOUNTS[i];
              const login = account === undefined ? undefined : await terminal.atm.login(account.card, account.pin);
              if (login?.code !== 'APPROVED') {
                progress.failed += CHAOS_WITHDRAWALS;
                return;
              }
              for (let k = 0; k < CHAOS_WITHDRAWALS && !closed; k++) {
                try {
                  const outcome = await terminal.atm.withdraw(CHAOS_AMOUNT);
                  if (outcome.status === 'dispensed') progress.dispensed++;
                  else progress.failed++;
                } catch {
                  progress.failed++;
                }
              }
              await terminal.atm.logout().catch(() => undefined);
            }),
          );
        } finally {
          clearInterval(tick);
          for (const terminal of terminals) terminal.close();
          chaosRunning = false;
        }
        if (!closed) ctx.send(frame(true));
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const ok = progress.failed === 0;
        return JSON.stringify({
          type: 'result',
          op: 'chaos',
          ok,
          code: ok ? 'APPROVED' : 'INCOMPLETE',
          message: `${String(progress.dispensed)} of ${String(total)} withdrawals of ${formatAmount(CHAOS_AMOUNT)} dispensed by ${String(terminals.length)} ATMs in ${seconds} s`,
          dispensed: progress.dispensed,
        });
      };

      const handle = (command: Readonly<Record<string, unknown>>): string | undefined => {
        switch (command.type) {
          case 'loss': {
            const percent = command.percent;
            if (typeof percent !== 'number' || !(percent >= 0 && percent <= ATM_MAX_REPLY_LOSS_PERCENT)) return `loss: percent from 0 to ${String(ATM_MAX_REPLY_LOSS_PERCENT)}`;
            loss = Math.round(percent) / 100;
            ctx.send(stats());
            return undefined;
          }
          case 'login': {
            const { card, pin } = command;
            if (typeof card !== 'string' || !isValidCardNumber(card)) return 'invalid card number: 6 to 19 digits';
            if (typeof pin !== 'string' || !isValidPin(pin)) return 'invalid PIN format: 4 to 12 digits';
            if (busy) return 'busy: one operation at a time';
            void run('login', async () => result('login', await atm.login(card, pin)));
            return undefined;
          }
          case 'balance':
          case 'logout': {
            if (busy) return 'busy: one operation at a time';
            if (atm.session === undefined) return failure(command.type, 'ERR_NOT_LOGGED_IN', 'log in first (Card and PIN)');
            if (command.type === 'balance') void run('balance', async () => result('balance', await atm.balance()));
            else {
              void run('logout', async () => {
                const reply = await atm.logout();
                return reply === undefined ? failure('logout', 'ERR_NOT_LOGGED_IN', 'not logged in') : result('logout', reply);
              });
            }
            return undefined;
          }
          case 'withdraw':
          case 'deposit': {
            const op = command.type;
            const amount = amountOf(command.amount);
            if (typeof amount === 'string') return failure(op, 'INVALID_AMOUNT', amount);
            if (busy) return 'busy: one operation at a time';
            if (atm.session === undefined) return failure(op, 'ERR_NOT_LOGGED_IN', 'log in first (Card and PIN)');
            if (op === 'deposit') {
              void run('deposit', async () => result('deposit', await atm.deposit(amount), { amount }));
              return undefined;
            }
            void run('withdraw', async () => {
              let dispensed = 0;
              const outcome = await atm.withdraw(amount, () => {
                dispensed++;
                return true;
              });
              if (outcome.status === 'declined') return result('withdraw', outcome.authorization, { amount });
              if (outcome.status === 'reversed') return failure('withdraw', 'REVERSED', `no answer to the withdrawal of ${formatAmount(amount)}: it was reversed, nothing was withdrawn`);
              return result('withdraw', outcome.authorization, { amount, dispensed, message: `dispensed ${formatAmount(amount)} once` });
            });
            return undefined;
          }
          case 'chaos': {
            if (busy) return 'busy: one operation at a time';
            chaosRunning = true;
            void run('chaos', () => chaos());
            return undefined;
          }
          default:
            return 'unknown command';
        }
      };

      return {
        receive(text) {
          let command: unknown;
          try {
            command = JSON.parse(text);
          } catch {
            return [JSON.stringify({ type: 'error', message: 'not JSON' })];
          }
          if (typeof command !== 'object' || command === null || Array.isArray(command)) return [JSON.stringify({ type: 'error', message: 'expected a JSON object' })];
          const problem = handle(command as Readonly<Record<string, unknown>>);
          if (problem === undefined) return [];
          return [problem.startsWith('{') ? problem : JSON.stringify({ type: 'error', message: problem })];
        },
        close() {
          closed = true;
          unsubscribe();
          // End the session at the bank if we can, then let go of the connection.
          const done = atm.session === undefined ? Promise.resolve(undefined) : atm.logout().catch(() => undefined);
          void Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000).unref())]).finally(() => {
            terminal.close();
          });
        },
      };
    },
  };
}
