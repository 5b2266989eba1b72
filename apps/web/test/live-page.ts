/**
 * A page of a Live view (the bench or attach mode) opened through the service contract, without
 * a browser: what the view sent it, parsed, and its commands' answers.
 */
import type { Service, Session, SessionContext } from '@netlab/service';

export interface LivePage {
  readonly session: Session<string, string>;
  readonly received: { type: string; [key: string]: unknown }[];
  /** Sends a command (a string as is, anything else as JSON); resolves with the error it got, if any. */
  command(value: unknown): Promise<string | undefined>;
  close(): void;
}

export function openLivePage(service: Service<string, string>): LivePage {
  const received: LivePage['received'] = [];
  let closed = false;
  const ctx: SessionContext<string> = {
    peer: { transport: 'local', address: 'test', port: 0, id: 'page#1' },
    get closed() {
      return closed;
    },
    send(message) {
      received.push(JSON.parse(message) as LivePage['received'][number]);
      return true;
    },
    close() {
      closed = true;
    },
    log: () => undefined,
    now: () => Date.now(),
  };
  const session = service.open(ctx.peer, ctx);
  return {
    session,
    received,
    async command(value) {
      const replies = await session.receive(typeof value === 'string' ? value : JSON.stringify(value));
      const reply = replies[0];
      return reply === undefined ? undefined : (JSON.parse(reply) as { message: string }).message;
    },
    close() {
      if (closed) return;
      closed = true;
      session.close?.({ kind: 'remote' });
    },
  };
}
