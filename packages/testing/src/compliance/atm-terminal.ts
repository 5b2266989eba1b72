/**
 * An ATM terminal written from the protocol documents alone (docs/protocols/atm.md,
 * docs/exactly-once.md), with nothing but `node:crypto`: the ledger conformance suite drives a
 * bank through it, so the suite checks the documented wire protocol, not one implementation's
 * internals, and any bank (a user's own ledger behind `createAtmService`, or another service
 * entirely) can run it.
 *
 * One terminal is one request-log client id: its first request is its login (seq 1, ack 0, a
 * Diffie-Hellman value in the MODP 2048-bit group); on approval it unwraps the session key and
 * MACs every later envelope with it:
 *
 *     mac = HMAC-SHA256(key, "netlab-request-mac-v1\n" + clientId + "\n" + seq + "\n" + ack + "\n" + canonical(payload))
 *
 * `canonical` here is RFC 8785 for the values ATM payloads hold (objects of strings and numbers):
 * keys sorted by UTF-16 code units, no whitespace, `JSON.stringify` for strings and numbers.
 */
import { createHash, createHmac, getDiffieHellman } from 'node:crypto';

/** A request envelope, as docs/exactly-once.md specifies it. */
export interface WireRequest {
  readonly kind: 'request';
  readonly clientId: string;
  readonly seq: number;
  readonly ack: number;
  readonly payload: unknown;
  readonly mac?: string;
}

/** A reply envelope, as docs/exactly-once.md specifies it. */
export type WireReply =
  | { readonly kind: 'reply'; readonly clientId: string; readonly seq: number; readonly status: 'done'; readonly replay: boolean; readonly body: string }
  | {
      readonly kind: 'reply';
      readonly clientId: string;
      readonly seq: number;
      readonly status: 'error';
      readonly code: string;
      readonly message: string;
      readonly fields?: readonly string[];
      readonly ack?: number;
    };

/** One connection to the bank (a `connectLocal(service)` satisfies it). */
export interface BankConnection {
  send(envelope: WireRequest): Promise<readonly WireReply[]>;
}

/** A reply value of the ATM protocol (only the fields the suite reads are typed). */
export interface AtmReplyValue {
  readonly code: string;
  readonly message: string;
  readonly session?: string;
  readonly holder?: string;
  readonly balance?: number;
  readonly amount?: number;
  readonly withdrawal?: string;
  readonly triesLeft?: number;
  readonly expiresAt?: number;
  readonly dh?: string;
  readonly wrappedKey?: string;
}

/** The published key of PIN blocks. */
export const ATM_PIN_BLOCK_KEY = 'netlab-atm-pin-block-v1';

/** `HMAC-SHA256("netlab-atm-pin-block-v1", card + ":" + pin)`, hex. */
export function atmPinBlock(card: string, pin: string): string {
  return createHmac('sha256', ATM_PIN_BLOCK_KEY).update(`${card}:${pin}`).digest('hex');
}

/** RFC 8785 canonical JSON of plain JSON values (see the module comment). */
export function canonicalPayload(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalPayload).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalPayload(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The envelope MAC (hex) of the documented input. */
export function envelopeMac(key: Uint8Array, envelope: Pick<WireRequest, 'clientId' | 'seq' | 'ack' | 'payload'>): string {
  return createHmac('sha256', key)
    .update(`netlab-request-mac-v1\n${envelope.clientId}\n${envelope.seq}\n${envelope.ack}\n${canonicalPayload(envelope.payload)}`)
    .digest('hex');
}

/** SHA-256 hex, for the suite's brute-force checks. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The reply value of a done reply; throws for an error reply or a failed effect. */
export function replyValue(reply: WireReply | undefined): AtmReplyValue {
  if (reply === undefined) throw new Error('no reply');
  if (reply.status !== 'done') throw new Error(`request-log error ${reply.code}: ${reply.message}`);
  const body = JSON.parse(reply.body) as { ok: boolean; value?: AtmReplyValue; error?: { message: string } };
  if (!body.ok || body.value === undefined) throw new Error(`effect failed: ${body.error?.message ?? '?'}`);
  return body.value;
}

/** How `raw` signs an envelope: with the session key, with none, or with a given MAC. */
export type MacChoice = 'session' | 'none' | { readonly mac: string };

let terminals = 0;

/** One ATM: one client id, at most one session (see the module comment). */
export class AtmTerminal {
  /** The session key, once a login was approved. */
  key: Uint8Array | undefined;
  /** The open session's token. */
  session: string | undefined;
  /** Every login payload this terminal sent (the suite searches the store for what they reveal). */
  readonly loginPayloads: unknown[] = [];
  private seq = 0;

  constructor(
    private readonly connection: BankConnection,
    readonly clientId = `conformance-${process.pid}-${++terminals}`,
  ) {}

  get lastSeq(): number {
    return this.seq;
  }

  /** Logs in (seq 1, ack 0) and, if approved, takes the session key. */
  async login(card: string, pin: string): Promise<AtmReplyValue> {
    const dh = getDiffieHellman('modp14');
    const mine = dh.generateKeys().toString('hex').padStart(512, '0');
    const payload = { op: 'login', card, pinBlock: atmPinBlock(card, pin), dh: mine };
    this.loginPayloads.push(payload);
    this.seq = 1;
    const reply = replyValue(await this.raw(1, payload, 0, 'none'));
    if (reply.code === 'APPROVED') {
      if (reply.session === undefined || reply.dh === undefined || reply.wrappedKey === undefined) throw new Error('approved login without session, dh or wrappedKey');
      const shared = Buffer.alloc(256);
      const secret = dh.computeSecret(Buffer.from(reply.dh, 'hex'));
      secret.copy(shared, 256 - secret.length);
      const mask = createHmac('sha256', shared).update(`netlab-atm-session-key-v1\n${reply.session}`).digest();
      const wrapped = Buffer.from(reply.wrappedKey, 'hex');
      this.key = Buffer.from(wrapped.map((byte, i) => byte ^ (mask[i] ?? 0)));
      this.session = reply.session;
    }
    return reply;
  }

  /** Sends a new request (acknowledging every earlier one) with the session key and returns its reply value. */
  async send(payload: Readonly<Record<string, unknown>>): Promise<AtmReplyValue> {
    this.seq++;
    return replyValue(await this.raw(this.seq, payload, this.seq - 1));
  }

  /** The same, with `session` filled in from the open session. */
  async op(payload: Readonly<Record<string, unknown>>): Promise<AtmReplyValue> {
    return this.send({ ...payload, session: this.session ?? '' });
  }

  /** Sends one envelope as given and returns the bank's reply envelope. */
  async raw(seq: number, payload: unknown, ack = seq - 1, mac: MacChoice = 'session', clientId = this.clientId): Promise<WireReply> {
    const envelope: WireRequest = { kind: 'request', clientId, seq, ack, payload };
    let signed: WireRequest = envelope;
    if (mac === 'session' && this.key !== undefined) signed = { ...envelope, mac: envelopeMac(this.key, envelope) };
    else if (typeof mac === 'object') signed = { ...envelope, mac: mac.mac };
    const replies = await this.connection.send(signed);
    if (replies.length !== 1 || replies[0] === undefined) throw new Error(`expected one reply, got ${replies.length}`);
    return replies[0];
  }
}
