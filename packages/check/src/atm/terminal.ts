/**
 * The checker's ATM for the server suite: a client id, its login, MACed envelopes, and full
 * control of what goes on the wire (the same envelope again, a late copy, two copies in one
 * segment, no MAC, a wrong one) so each exactly-once and authority case can say precisely what it
 * sent and what came back.
 */
import type { ServerCaseContext } from '../case.js';
import { CaseFailure } from '../errors.js';
import { showBytes } from '../escape.js';
import { type FrameConnection, type Json, type JsonObject, connectFrames, createDhParty, envelopeMac, frame, parseObject, pinBlock, sessionKeyMask, xor } from './wire.js';

/** A reply envelope, decoded: `value` is the ATM reply (the body decoded a second time) of a done reply. */
export interface AtmReply {
  /** The frame's text, exactly as it came. */
  readonly raw: string;
  readonly status: 'done' | 'error';
  readonly replay: boolean;
  /** The done reply's body string (what a replay must repeat byte for byte). */
  readonly body: string;
  /** The ATM reply of a done reply whose body is `{"ok":true,"value":…}`. */
  readonly value: Record<string, unknown>;
  /** `status: "error"`: the envelope error code (`ERR_UNAUTHENTICATED`, …). */
  readonly code: string;
  readonly message: string;
}

/** Times an `ERR_IN_PROGRESS` answer is retried before the case gives up. */
export const IN_PROGRESS_RETRIES = 20;

let terminals = 0;

/** A request envelope, ready to send again and again (same id, same bytes). */
export interface Envelope {
  readonly seq: number;
  readonly op: string;
  readonly text: string;
}

export class AtmTerminal {
  readonly clientId: string;
  private nextSeq = 1;
  private ack = 0;
  private key: Buffer | undefined;
  session = '';
  constructor(
    private readonly ctx: ServerCaseContext,
    private conn: FrameConnection,
    readonly name: string,
  ) {
    terminals += 1;
    this.clientId = `check-${ctx.seed.toString(36)}-${ctx.rng.int(2 ** 31).toString(36)}-${terminals}`;
  }

  /** A terminal on a new connection to the target (or `via`). */
  static async open(ctx: ServerCaseContext, name: string, via?: { host: string; port: number }): Promise<AtmTerminal> {
    const conn = await openConnection(ctx, name, via);
    return new AtmTerminal(ctx, conn, name);
  }

  get connection(): FrameConnection {
    return this.conn;
  }

  /** Moves to a new connection (an ATM reconnecting after a lost one, or after a restart). */
  async reconnect(via?: { host: string; port: number }): Promise<void> {
    this.conn.destroy();
    this.conn = await openConnection(this.ctx, this.name, via);
  }

  /** Builds the next request envelope (a new seq), MACed once logged in unless `mac` says otherwise. */
  envelope(payload: JsonObject, options: { readonly mac?: 'none' | 'wrong'; readonly seq?: number; readonly ack?: number } = {}): Envelope {
    const seq = options.seq ?? this.nextSeq;
    if (options.seq === undefined) this.nextSeq += 1;
    const ack = options.ack ?? this.ack;
    const full: Record<string, Json> = { kind: 'request', clientId: this.clientId, seq, ack, payload };
    if (this.key !== undefined && options.mac !== 'none') {
      const mac = envelopeMac(this.key, this.clientId, seq, ack, payload);
      full.mac = options.mac === 'wrong' ? `${mac.slice(0, 63)}${mac.endsWith('0') ? '1' : '0'}` : mac;
    }
    return { seq, op: typeof payload.op === 'string' ? payload.op : '?', text: JSON.stringify(full) };
  }

  /** Sends `envelope` (again) and waits for its reply; retries `ERR_IN_PROGRESS` a bounded number of times. */
  async exchange(envelope: Envelope): Promise<AtmReply> {
    for (let attempt = 0; ; attempt += 1) {
      await this.conn.send(frame(envelope.text));
      const reply = await this.awaitReply(envelope);
      if (reply.status === 'error' && reply.code === 'ERR_IN_PROGRESS' && attempt < IN_PROGRESS_RETRIES) {
        await this.ctx.pause(50);
        continue;
      }
      return reply;
    }
  }

  /** Waits for the reply to `envelope` on the current connection (frames for other ids are passed over). */
  async awaitReply(envelope: Envelope): Promise<AtmReply> {
    const deadline = Date.now() + this.ctx.ms(3000);
    for (;;) {
      const event = await this.conn.next(Math.max(1, deadline - Date.now()));
      const what = `${this.name}: sent ${envelope.op} (request ${this.clientId}#${envelope.seq})`;
      if (event === undefined) throw new CaseFailure(`${what}; expected a reply frame; got nothing within ${this.ctx.ms(3000)} ms`);
      if (event.kind === 'closed') throw new CaseFailure(`${what}; expected a reply frame; the server closed the connection`);
      const envelopeJson = parseObject(event.text, `${what}; the reply`);
      if (envelopeJson.clientId !== this.clientId || envelopeJson.seq !== envelope.seq) continue;
      const reply = decodeReply(event.text, envelopeJson, what);
      if (reply.status === 'done' && envelope.seq > this.ack) this.ack = envelope.seq;
      return reply;
    }
  }

  /** The ATM reply of a done reply; fails the case on an envelope error or a failed body. */
  async request(payload: JsonObject): Promise<Record<string, unknown>> {
    const envelope = this.envelope(payload);
    const reply = await this.exchange(envelope);
    return doneValue(reply, `${this.name}: ${envelope.op} (request ${this.clientId}#${envelope.seq})`);
  }

  /** Logs in (request 1 of this client id); on APPROVED keeps the session and its key. */
  async login(card: string, pin: string): Promise<Record<string, unknown>> {
    const dh = createDhParty();
    const value = await this.request({ op: 'login', card, pinBlock: pinBlock(card, pin), dh: dh.publicHex });
    if (value.code === 'APPROVED') {
      const session = value.session;
      const bankDh = value.dh;
      const wrapped = value.wrappedKey;
      if (typeof session !== 'string' || typeof bankDh !== 'string' || typeof wrapped !== 'string' || !/^[0-9a-f]{64}$/u.test(wrapped) || !/^[0-9a-f]{1,512}$/u.test(bankDh)) {
        throw new CaseFailure(`${this.name}: login of card ${card}: expected an APPROVED reply with session, dh (512 hex) and wrappedKey (64 hex); got ${showBytes(JSON.stringify(value))}`);
      }
      this.session = session;
      this.key = xor(Buffer.from(wrapped, 'hex'), sessionKeyMask(dh.secret(bankDh), session));
    }
    return value;
  }

  /** Logs in and fails the case unless APPROVED. */
  async loginApproved(card: string, pin: string): Promise<void> {
    const value = await this.login(card, pin);
    expectCode(value, 'APPROVED', `${this.name}: login of card ${card} with its PIN`);
  }

  /** A session operation (`session` added), its ATM reply. */
  op(payload: JsonObject): Promise<Record<string, unknown>> {
    return this.request({ ...payload, session: this.session });
  }

  /** The balance, in minor units. */
  async balance(): Promise<number> {
    const value = await this.op({ op: 'balance' });
    expectCode(value, 'APPROVED', `${this.name}: balance`);
    return integerField(value, 'balance', `${this.name}: balance`);
  }
}

async function openConnection(ctx: ServerCaseContext, name: string, via?: { host: string; port: number }): Promise<FrameConnection> {
  const endpoint = via ?? ctx.target;
  const conn = await connectFrames(endpoint.host, endpoint.port, name, ctx.ms(5000));
  ctx.defer(() => {
    conn.destroy();
  });
  return conn;
}

function decodeReply(raw: string, envelope: Record<string, unknown>, what: string): AtmReply {
  const status = envelope.status;
  if (envelope.kind !== 'reply' || (status !== 'done' && status !== 'error')) {
    throw new CaseFailure(`${what}; expected a reply envelope ({"kind":"reply",…,"status":"done"|"error"}); got ${showBytes(raw)}`);
  }
  if (status === 'error') {
    return { raw, status, replay: false, body: '', value: {}, code: String(envelope.code), message: String(envelope.message) };
  }
  const body = envelope.body;
  if (typeof body !== 'string') throw new CaseFailure(`${what}; expected "body" to be a string holding JSON; got ${showBytes(raw)}`);
  const decoded = parseObject(body, `${what}; the reply body`);
  const value = decoded.ok === true && decoded.value !== null && typeof decoded.value === 'object' ? (decoded.value as Record<string, unknown>) : {};
  return { raw, status, replay: envelope.replay === true, body, value, code: '', message: '' };
}

/** The value of a done, ok reply; fails the case otherwise. */
export function doneValue(reply: AtmReply, what: string): Record<string, unknown> {
  if (reply.status === 'error') throw new CaseFailure(`${what}: expected a done reply; got the error ${reply.code}: ${showBytes(reply.message)}`);
  if (Object.keys(reply.value).length === 0) throw new CaseFailure(`${what}: expected a body {"ok":true,"value":{…}}; got ${showBytes(reply.body)}`);
  return reply.value;
}

export function expectCode(value: Record<string, unknown>, code: string, what: string): void {
  if (value.code !== code) throw new CaseFailure(`${what}: expected ${code}; got ${showBytes(JSON.stringify(value))}`);
}

export function integerField(value: Record<string, unknown>, field: string, what: string): number {
  const n = value[field];
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new CaseFailure(`${what}: expected an integer "${field}" (minor units); got ${showBytes(JSON.stringify(value))}`);
  return n;
}
