/**
 * The service every transport runs in the compliance suite: an echo with a few commands, and a
 * record of every session opened and closed (to check that each ends exactly once).
 *
 * Messages: any text is echoed; `count` replies with the number of messages this session has
 * seen (per-session state); `slow:<ms>` replies after a delay; `hang` never replies.
 * Rejected input is answered `ERR <code>` (through `malformed`).
 */
import { type Clock, keepAliveClock } from '@netlab/ground';
import type { CloseReason, Peer, Service } from '@netlab/service';

export interface ComplianceService extends Service<string, string> {
  /** Peers in the order their sessions opened. */
  readonly opened: readonly Peer[];
  /** Close reasons by peer id, in order (exactly one per session when all is well). */
  readonly closes: ReadonlyMap<string, readonly CloseReason[]>;
}

/** Creates a fresh recording echo service; `slow:<ms>` waits on `clock` (default: the wall clock). */
export function createComplianceService(clock: Clock = keepAliveClock): ComplianceService {
  const opened: Peer[] = [];
  const closes = new Map<string, CloseReason[]>();
  return {
    name: 'compliance-echo',
    opened,
    closes,
    open(peer) {
      opened.push(peer);
      let seen = 0;
      return {
        receive(message) {
          seen += 1;
          if (message === 'count') return [String(seen)];
          if (message === 'hang') return new Promise<readonly string[]>(() => undefined);
          if (message.startsWith('slow:')) {
            const ms = Number(message.slice(5));
            return new Promise<readonly string[]>((resolve) => {
              clock.setTimeout(() => {
                resolve([message]);
              }, ms);
            });
          }
          return [message];
        },
        close(reason) {
          const list = closes.get(peer.id) ?? [];
          list.push(reason);
          closes.set(peer.id, list);
        },
      };
    },
    malformed(error) {
      return [`ERR ${error.code ?? 'unknown'}`];
    },
  };
}
