/**
 * The client's line of waiters (internal to `connectTcp`): who gets the next message received.
 *
 * Rule (FIFO): the oldest pending request gets it; a request that timed out keeps its place, so
 * its late reply, when it comes, is consumed and dropped (`lateReplies`) and the replies after it
 * still match their requests. With no request pending, the message is pushed: to the oldest
 * `receive()` waiting, else into the inbox (at most `maxQueued`; past it the owner pauses reading).
 */
import { type Clock, MAX_TIMER_MS } from '@netlab/ground';
import { TcpError, assertIntegerOption } from './errors.js';

interface Waiter<In> {
  resolve(message: In): void;
  reject(error: Error): void;
  timer: unknown;
  timedOut: boolean;
}

/** Where a delivered message went. */
export type Delivery = 'request' | 'receiver' | 'inbox' | 'late';

export class ReplyLine<In> {
  private readonly requests: Waiter<In>[] = [];
  private readonly receivers: Waiter<In>[] = [];
  private inbox: In[] = [];
  private inboxHead = 0;

  constructor(
    private readonly clock: Clock,
    /** The peer's address, for messages. */
    private readonly where: string,
  ) {}

  /** Requests outstanding (timed-out ones still waiting for their late reply included). */
  get pendingRequests(): number {
    return this.requests.length;
  }

  /** Pushed messages waiting for `receive()` or the iterator. */
  get queued(): number {
    return this.inbox.length - this.inboxHead;
  }

  /** Waits for the reply to a request just sent (`ERR_REQUEST_TIMEOUT` after `timeoutMs`; 0 = never). */
  reply(timeoutMs: number): Promise<In> {
    return this.wait(this.requests, timeoutMs, 'reply');
  }

  /** Waits for the next pushed message (`ERR_REQUEST_TIMEOUT` after `timeoutMs`; 0 = never). */
  receive(timeoutMs: number): Promise<In> {
    return this.wait(this.receivers, timeoutMs, 'message');
  }

  /** Hands `message` to whoever waits first (see the module comment). */
  deliver(message: In): Delivery {
    const request = this.requests.shift();
    if (request !== undefined) {
      if (request.timedOut) return 'late';
      this.clock.clearTimeout(request.timer);
      request.resolve(message);
      return 'request';
    }
    const receiver = this.receivers.shift();
    if (receiver !== undefined) {
      this.clock.clearTimeout(receiver.timer);
      receiver.resolve(message);
      return 'receiver';
    }
    this.inbox.push(message);
    return 'inbox';
  }

  /** The oldest pushed message, if any. */
  shift(): { readonly message: In } | undefined {
    if (this.inboxHead >= this.inbox.length) return undefined;
    const message = this.inbox[this.inboxHead] as In;
    this.inboxHead += 1;
    if (this.inboxHead >= this.inbox.length) {
      this.inbox = [];
      this.inboxHead = 0;
    }
    return { message };
  }

  /** The connection closed: every waiter (that has not timed out) fails with `error`. */
  rejectAll(error: TcpError): void {
    for (const waiter of [...this.requests, ...this.receivers]) {
      this.clock.clearTimeout(waiter.timer);
      if (!waiter.timedOut) waiter.reject(error);
    }
    this.requests.length = 0;
    this.receivers.length = 0;
  }

  private wait(list: Waiter<In>[], timeoutMs: number, what: string): Promise<In> {
    assertIntegerOption('timeoutMs', timeoutMs, 0, MAX_TIMER_MS);
    return new Promise<In>((resolve, reject) => {
      const waiter: Waiter<In> = { resolve, reject, timer: undefined, timedOut: false };
      if (timeoutMs > 0) {
        waiter.timer = this.clock.setTimeout(() => {
          waiter.timedOut = true;
          // Receivers leave the line; requests keep their place so their late reply is dropped.
          if (list === this.receivers) list.splice(list.indexOf(waiter), 1);
          reject(new TcpError('ERR_REQUEST_TIMEOUT', `no ${what} from ${this.where} within ${timeoutMs} ms`, { reason: 'read', details: { timeoutMs } }));
        }, timeoutMs);
      }
      list.push(waiter);
    });
  }
}
