import { describe, expect, it } from 'vitest';
import type { CloseReason, Peer, Service, SessionContext } from '../src/contract.js';
import { type CloseMode, SessionDriver, type SessionFailure, type SessionHost } from '../src/session-driver.js';

/**
 * The contract's rules, each tested once, on the driver alone (no transport): every adapter
 * (TCP, UDP, connectLocal, the simulated network) inherits them, and its own tests check glue.
 */

const PEER: Peer = { transport: 'local', address: 'test', port: 0, id: 'test#1' };

/** A host that records everything the driver asks of it, as one event log. */
class RecordingHost implements SessionHost<string> {
  readonly events: string[] = [];
  readonly closes: { reason: CloseReason; mode: CloseMode }[] = [];
  readonly reports: Error[] = [];
  accept = true;

  write(message: string, reply: boolean): boolean {
    this.events.push(`${reply ? 'reply' : 'push'} ${message}`);
    return this.accept;
  }
  flush(): void {
    this.events.push('flush');
  }
  flowChanged(): void {
    // Recorded through wantsInput in the tests that care.
  }
  closed(reason: CloseReason, mode: CloseMode): void {
    this.events.push(`closed ${reason.kind} ${mode}`);
    this.closes.push({ reason, mode });
  }
  failure(failure: SessionFailure): Error {
    return new Error(`${failure.kind}: ${failure.cause instanceof Error ? failure.cause.message : String(failure.cause)}`);
  }
  report(error: Error): void {
    this.reports.push(error);
  }
  log(): void {
    // ctx.log lines are not part of these tests.
  }
  now(): number {
    return 42;
  }
}

interface Gate {
  readonly promise: Promise<readonly string[]>;
  open(replies: readonly string[]): void;
  fail(error: Error): void;
}

function gate(): Gate {
  let open: (replies: readonly string[]) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const promise = new Promise<readonly string[]>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/**
 * A scripted service: `echo` replies, `wait` returns the next gate, `close` closes after
 * replying, `throw` throws, `push` sends through ctx; records receives and closes.
 */
function scripted(options: { greeting?: string; closeInOpen?: boolean; openThrows?: boolean; closeThrows?: boolean; malformed?: () => readonly string[] } = {}) {
  const received: string[] = [];
  const closes: CloseReason[] = [];
  const gates: Gate[] = [];
  let active = 0;
  let maxActive = 0;
  let context: SessionContext<string> | undefined;
  const service: Service<string, string> = {
    name: 'scripted',
    open(_peer, ctx) {
      context = ctx;
      if (options.openThrows === true) throw new Error('no');
      if (options.greeting !== undefined) ctx.send(options.greeting);
      if (options.closeInOpen === true) ctx.close('at once');
      return {
        receive(message) {
          received.push(message);
          active += 1;
          maxActive = Math.max(maxActive, active);
          if (message === 'wait') {
            const g = gate();
            gates.push(g);
            return g.promise.finally(() => {
              active -= 1;
            });
          }
          active -= 1;
          if (message === 'throw') throw new Error('boom');
          if (message === 'close') {
            ctx.close('asked');
            return ['bye'];
          }
          if (message === 'push') {
            ctx.send('pushed');
            return ['after push'];
          }
          return [`echo ${message}`];
        },
        close(reason) {
          closes.push(reason);
          if (options.closeThrows === true) throw new Error('close failed');
        },
      };
    },
    ...(options.malformed === undefined ? {} : { malformed: options.malformed }),
  };
  return { service, received, closes, gates, maxActive: () => maxActive, ctx: () => context };
}

function drive(service: Service<string, string>, maxQueued?: number) {
  const host = new RecordingHost();
  const driver = new SessionDriver({ service, ...(maxQueued === undefined ? {} : { maxQueued }) }, PEER, host);
  driver.open();
  return { host, driver };
}

const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('SessionDriver: the contract, once', () => {
  it('writes what open() sends as one batch, then flushes', () => {
    const { host } = drive(scripted({ greeting: 'hello' }).service);
    expect(host.events).toEqual(['push hello', 'flush']);
  });

  it('receives one message at a time, in order, awaiting a pending receive before the next', async () => {
    const s = scripted();
    const { host, driver } = drive(s.service);
    for (const m of ['a', 'wait', 'b', 'c']) driver.deliver(m);
    driver.pump();
    expect(s.received).toEqual(['a', 'wait']);
    expect(driver.busy).toBe(true);
    driver.deliver('d');
    driver.pump(); // no effect while a receive is pending
    expect(s.received).toEqual(['a', 'wait']);
    s.gates[0]?.open(['waited']);
    await flushMicrotasks();
    expect(s.received).toEqual(['a', 'wait', 'b', 'c', 'd']);
    expect(s.maxActive()).toBe(1);
    expect(host.events).toEqual(['flush', 'reply echo a', 'flush', 'reply waited', 'reply echo b', 'reply echo c', 'reply echo d', 'flush']);
  });

  it('writes a push sent during a receive before that receive’s replies, marked as not a reply', () => {
    const { host, driver } = drive(scripted().service);
    driver.deliver('push');
    driver.pump();
    expect(host.events.slice(1)).toEqual(['push pushed', 'reply after push', 'flush']);
    expect(driver.inBatch).toBe(false);
  });

  it('closes after the receive that asked, writing its replies and dropping the messages queued behind it', () => {
    const s = scripted();
    const { host, driver } = drive(s.service);
    for (const m of ['close', 'never']) driver.deliver(m);
    driver.pump();
    expect(s.received).toEqual(['close']);
    expect(host.events.slice(1)).toEqual(['reply bye', 'flush', 'closed local graceful']);
    expect(s.closes).toEqual([{ kind: 'local', message: 'asked' }]);
  });

  it('defers ctx.close from outside until the pending receive settled and its replies are written', async () => {
    const s = scripted();
    const { host, driver } = drive(s.service);
    driver.deliver('wait');
    driver.pump();
    s.ctx()?.close('from elsewhere');
    expect(s.closes).toEqual([]);
    expect(s.ctx()?.closed).toBe(true);
    expect(s.ctx()?.send('too late')).toBe(false);
    s.gates[0]?.open(['last']);
    await flushMicrotasks();
    expect(host.events.slice(-3)).toEqual(['reply last', 'flush', 'closed local graceful']);
  });

  it('lets a session close itself inside open(), after its greeting', () => {
    const s = scripted({ greeting: 'hi', closeInOpen: true });
    const { host } = drive(s.service);
    expect(host.events).toEqual(['push hi', 'flush', 'closed local graceful']);
    expect(s.closes).toEqual([{ kind: 'local', message: 'at once' }]);
  });

  it('ends as remote once the messages delivered before the peer’s end are received', async () => {
    const s = scripted();
    const { host, driver } = drive(s.service);
    driver.deliver('wait');
    driver.deliver('x');
    driver.endOfInput();
    expect(host.closes).toEqual([]);
    s.gates[0]?.open([]);
    await flushMicrotasks();
    expect(s.received).toEqual(['wait', 'x']);
    expect(host.closes).toEqual([{ reason: { kind: 'remote' }, mode: 'graceful' }]);
  });

  it('answers malformed input with service.malformed after the messages before it, then ends with the input error, gracefully', () => {
    const s = scripted({ malformed: () => ['ERR bad'] });
    const { host, driver } = drive(s.service);
    driver.deliver('ok');
    driver.malformedInput(Object.assign(new Error('line too long'), { code: 'ERR_LINE_TOO_LONG' }));
    expect(host.events.slice(1)).toEqual(['reply echo ok', 'flush', 'reply ERR bad', 'closed error graceful']);
    expect(host.reports.map((e) => e.message)).toEqual(['input: line too long']);
    expect(s.closes[0]?.kind).toBe('error');
    expect(driver.wantsInput).toBe(false);
  });

  it('finishes the received messages on shutdown, and lets the peer’s end take precedence', () => {
    const a = drive(scripted().service);
    a.driver.deliver('x');
    a.driver.shutdown();
    expect(a.host.events.slice(1)).toEqual(['reply echo x', 'flush', 'closed shutdown graceful']);
    const s = scripted();
    const b = drive(s.service);
    b.driver.deliver('wait');
    b.driver.pump();
    b.driver.shutdown();
    b.driver.endOfInput();
    s.gates[0]?.open([]);
    return flushMicrotasks().then(() => {
      expect(b.host.closes.map((c) => c.reason.kind)).toEqual(['remote']);
    });
  });

  it('contains a throwing receive: the session ends as error, destroyed, reported once', () => {
    const s = scripted();
    const { host, driver } = drive(s.service);
    driver.deliver('throw');
    driver.deliver('after');
    driver.pump();
    expect(s.received).toEqual(['throw']);
    expect(host.closes.map((c) => [c.reason.kind, c.mode])).toEqual([['error', 'destroy']]);
    expect(host.reports.map((e) => e.message)).toEqual(['receive: boom']);
    driver.fail(new Error('later'), 'destroy');
    expect(host.reports).toHaveLength(1);
  });

  it('contains a rejecting receive the same way', async () => {
    const s = scripted();
    const { host, driver } = drive(s.service);
    driver.deliver('wait');
    driver.pump();
    s.gates[0]?.fail(new Error('async boom'));
    await flushMicrotasks();
    expect(host.reports.map((e) => e.message)).toEqual(['receive: async boom']);
    expect(s.closes.map((r) => r.kind)).toEqual(['error']);
  });

  it('contains a throwing open (no session to close) and a throwing malformed hook', () => {
    const a = drive(scripted({ openThrows: true }).service);
    expect(a.host.closes.map((c) => [c.reason.kind, c.mode])).toEqual([['error', 'destroy']]);
    expect(a.host.reports.map((e) => e.message)).toEqual(['open: no']);
    const b = drive(
      scripted({
        malformed: () => {
          throw new Error('hook');
        },
      }).service,
    );
    b.driver.malformedInput(new Error('bad'));
    expect(b.host.reports.map((e) => e.message)).toEqual(['malformed: hook']);
    expect(b.host.closes[0]?.mode).toBe('destroy');
  });

  it('calls session.close exactly once and host.closed once, whatever else follows, and reports a throwing close', () => {
    const s = scripted({ closeThrows: true });
    const { host, driver } = drive(s.service);
    driver.abort({ kind: 'idle', message: 'quiet' }, 'graceful');
    driver.abort({ kind: 'shutdown' }, 'destroy');
    driver.endOfInput();
    driver.fail(new Error('socket'), 'destroy');
    s.ctx()?.close();
    driver.deliver('ignored');
    driver.pump();
    expect(s.closes).toEqual([{ kind: 'idle', message: 'quiet' }]);
    expect(host.closes).toHaveLength(1);
    expect(host.reports.map((e) => e.message)).toEqual(['close: close failed']);
    expect(s.received).toEqual([]);
  });

  it('reports an adapter failure once and ends with its error as the reason', () => {
    const s = scripted();
    const { host, driver } = drive(s.service);
    const error = new Error('SendQ exceeded');
    driver.fail(error, 'graceful');
    expect(host.reports).toEqual([error]);
    expect(s.closes).toEqual([{ kind: 'error', message: 'SendQ exceeded', error }]);
    expect(driver.phase).toBe('closed');
    expect(driver.reason?.kind).toBe('error');
  });

  it('wants input only while open, not awaiting and below maxQueued (exactly at it stops)', async () => {
    const s = scripted();
    const { driver } = drive(s.service, 2);
    expect(driver.wantsInput).toBe(true);
    driver.deliver('wait');
    driver.pump();
    expect(driver.wantsInput).toBe(false);
    driver.deliver('q1');
    expect(driver.queued).toBe(1);
    s.gates[0]?.open([]);
    await flushMicrotasks();
    expect(driver.wantsInput).toBe(true);
    driver.deliver('a');
    expect(driver.wantsInput).toBe(true);
    driver.deliver('b');
    expect(driver.queued).toBe(2);
    expect(driver.wantsInput).toBe(false);
    driver.pump();
    expect(driver.wantsInput).toBe(true);
  });

  it('passes the driver as ctx: peer, log and now come from the host', () => {
    const s = scripted();
    const { driver } = drive(s.service);
    expect(s.ctx()).toBe(driver);
    expect(s.ctx()?.peer).toBe(PEER);
    expect(s.ctx()?.now()).toBe(42);
  });
});
