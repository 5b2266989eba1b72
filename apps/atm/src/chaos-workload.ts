/**
 * One seeded ATM of the chaos run: logs in (again whenever its session is lost), then runs
 * random operations: balance 30 %, deposit 25 %, withdrawal 45 % (5 % of them over any demo
 * balance, to see declines under load; 10 % not dispensed, so reversed), through its own link
 * (retransmission, failover) and reports what happened to the recorder. Every choice comes from
 * its PRNG fork; only timing is not seeded.
 */
import type { Prng } from '@netlab/faults';
import { type AtmReply, DEMO_ACCOUNTS, createAtmClient, isAtmError } from '@netlab/service-atm';
import type { ChaosRecorder } from './chaos-recorder.js';
import type { ClientLink as AtmLink } from '@netlab/request-log/link';

export interface WorkloadOptions {
  /** This ATM's number (its demo account is `DEMO_ACCOUNTS[index % 5]`). */
  readonly index: number;
  readonly link: AtmLink;
  readonly rng: Prng;
  readonly operations: number;
  /** Operations stop at this time (ms since the epoch). */
  readonly deadline: number;
  /** Prefix of this run's withdrawal ids (unique across runs on one store). */
  readonly runId: string;
  readonly recorder: ChaosRecorder;
  /** Called before operation `op` (the replica run fails over at half-time). */
  readonly beforeOperation?: (op: number) => void;
  /** Called after each operation. */
  readonly onOperation?: () => void;
}

/** Runs one ATM to the end of its operations (or the deadline); never throws for a failed operation. */
export async function runWorkload(options: WorkloadOptions): Promise<void> {
  const { index, link, rng, recorder } = options;
  const atm = createAtmClient({ connect: () => link.connect(), newWithdrawalId: () => `${options.runId}-atm${index}-w${rng.int(2 ** 31)}` });
  const account = DEMO_ACCOUNTS[index % DEMO_ACCOUNTS.length] ?? DEMO_ACCOUNTS[0];
  if (account === undefined) throw new Error('no demo account');
  const ensureSession = async (): Promise<void> => {
    while (atm.session === undefined) {
      const reply = await atm.login(account.card, account.pin);
      if (reply.code !== 'APPROVED') throw new Error(`login refused: ${reply.code}`);
    }
  };
  for (let op = 0; op < options.operations && Date.now() < options.deadline; op++) {
    options.beforeOperation?.(op);
    try {
      await ensureSession();
      const roll = rng.next();
      let reply: AtmReply | undefined;
      if (roll < 0.3) {
        reply = await atm.balance();
        recorder.operation(`balance ${reply.code}`, true);
      } else if (roll < 0.55) {
        reply = await atm.deposit(100 + rng.int(10_000));
        recorder.operation(`deposit ${reply.code}`, true);
      } else {
        const amount = rng.chance(0.05) ? 2_000_000 : 100 + rng.int(10_000);
        const dispensed = !rng.chance(0.1);
        const result = await atm.withdraw(amount, () => dispensed);
        if (result.status === 'dispensed') recorder.withdrawalDone(index, amount);
        recorder.operation(result.status === 'declined' ? `withdraw ${result.authorization.code}` : `withdraw ${result.status}${result.status === 'reversed' ? ` (${result.why})` : ''}`, true);
      }
      if (reply?.code === 'SESSION_EXPIRED' || reply?.code === 'UNKNOWN_SESSION') recorder.note('session lost');
    } catch (error) {
      if (isAtmError(error, 'ERR_OUTCOME_UNKNOWN') && error.message.includes('confirmation')) recorder.confirmationUnknown(String(error.details.withdrawal));
      const code = (error as { code?: unknown }).code;
      recorder.operation(`error ${typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)}`, false);
    }
    options.onOperation?.();
  }
  await atm.logout().catch(() => undefined);
}
