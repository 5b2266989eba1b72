/**
 * The bank of the ATM client suite: a small, instrumented implementation of docs/protocols/atm.md
 * over TCP (one account, a dedup table by request id, sessions with their Diffie-Hellman-wrapped
 * key, MAC checks, held / dispensed / reversed withdrawals) that records every envelope the
 * client sent, and loses what a case tells it to: a request (the connection is closed before it
 * runs) or a reply (closed after it committed), the way a network and a crash lose them.
 *
 * It also keeps what the case judges: an id reused for another payload, a MAC that does not
 * verify, and how often each operation was really applied.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { BaseCaseContext, Endpoint } from '../case.js';
import { ATM_MAX_FRAME_BYTES, type Json, type JsonObject, canonicalJson, createDhParty, frame, macMatches, pinBlock, sessionKeyMask, xor } from './wire.js';

/** One envelope as the bank received it. */
export interface ReceivedEnvelope {
  readonly clientId: string;
  readonly seq: number;
  readonly ack: number;
  readonly op: string;
  readonly payload: Record<string, unknown>;
  /** `canonical(payload)`, to compare copies. */
  readonly canonical: string;
  readonly hasMac: boolean;
  /** Which connection it came on (0, 1, …). */
  readonly connection: number;
}

/** What the bank does with the nth (0-based) arrival of an operation. */
export type BankFault = 'lose-request' | 'lose-reply';

export interface BankScript {
  readonly card: string;
  readonly pin: string;
  /** Starting balance, minor units. */
  readonly balance: number;
  /** Faults by operation and by how many envelopes of that operation arrived before (`{withdraw: {0: 'lose-reply'}}`). */
  readonly faults?: Readonly<Record<string, Readonly<Record<number, BankFault>>>>;
  /** Decline every withdrawal with this code (and the balance). */
  readonly declineWithdrawals?: string;
}

export interface ScriptedBank {
  readonly endpoint: Endpoint;
  readonly received: readonly ReceivedEnvelope[];
  /** Problems the bank saw: a reused id with another payload, a bad MAC, a login that is not request 1. */
  readonly violations: readonly string[];
  /** How many times each operation really ran (not replays). */
  applied(op: string): number;
  readonly balance: () => number;
}

interface Session {
  readonly key: Buffer;
  readonly token: string;
}

interface Withdrawal {
  readonly session: string;
  readonly amount: number;
  status: 'held' | 'dispensed' | 'reversed';
}

const ok = (value: Record<string, Json>): string => JSON.stringify({ ok: true, value });

export async function startScriptedBank(ctx: BaseCaseContext, script: BankScript): Promise<ScriptedBank> {
  const received: ReceivedEnvelope[] = [];
  const violations: string[] = [];
  const appliedCount = new Map<string, number>();
  const arrivalsOf = new Map<string, number>();
  const records = new Map<string, { canonical: string; body: string }>();
  const sessions = new Map<string, Session>();
  const withdrawals = new Map<string, Withdrawal>();
  let balance = script.balance;
  let connections = 0;
  const sockets = new Set<net.Socket>();

  const apply = (op: string, payload: Record<string, unknown>, clientId: string): Record<string, Json> => {
    appliedCount.set(op, (appliedCount.get(op) ?? 0) + 1);
    const session = sessions.get(clientId);
    if (session === undefined || payload.session !== session.token) return { code: 'UNKNOWN_SESSION', message: 'unknown session' };
    const amount = typeof payload.amount === 'number' ? payload.amount : 0;
    const id = typeof payload.withdrawal === 'string' ? payload.withdrawal : '';
    switch (op) {
      case 'balance':
        return { code: 'APPROVED', message: 'approved', balance };
      case 'deposit':
        balance += amount;
        return { code: 'APPROVED', message: 'approved', amount, balance };
      case 'withdraw': {
        if (script.declineWithdrawals !== undefined) return { code: script.declineWithdrawals, message: 'insufficient funds', amount, balance };
        if (withdrawals.has(id)) return { code: 'DUPLICATE_TRANSACTION', message: 'duplicate transaction', withdrawal: id };
        if (!Number.isInteger(amount) || amount <= 0) return { code: 'INVALID_AMOUNT', message: 'invalid amount' };
        if (amount > balance) return { code: 'INSUFFICIENT_FUNDS', message: 'insufficient funds', amount, balance };
        balance -= amount;
        withdrawals.set(id, { session: session.token, amount, status: 'held' });
        return { code: 'APPROVED', message: 'approved', withdrawal: id, amount, balance };
      }
      case 'confirm':
      case 'reverse': {
        const w = withdrawals.get(id);
        if (w === undefined) return op === 'confirm' ? { code: 'UNKNOWN_WITHDRAWAL', message: 'unknown withdrawal', withdrawal: id } : { code: 'APPROVED', message: 'approved: no such withdrawal', withdrawal: id, amount: 0 };
        if (w.session !== session.token) return { code: 'NOT_PERMITTED', message: 'not permitted', withdrawal: id };
        if (op === 'confirm') {
          if (w.status === 'reversed') return { code: 'WITHDRAWAL_REVERSED', message: 'withdrawal reversed', withdrawal: id };
          w.status = 'dispensed';
          return { code: 'APPROVED', message: 'approved', withdrawal: id, amount: w.amount };
        }
        if (w.status === 'dispensed') return { code: 'WITHDRAWAL_COMPLETED', message: 'withdrawal completed', withdrawal: id };
        if (w.status === 'held') balance += w.amount;
        w.status = 'reversed';
        return { code: 'APPROVED', message: 'approved', withdrawal: id, amount: w.amount, balance };
      }
      case 'logout':
        return { code: 'APPROVED', message: 'approved' };
      default:
        return { code: 'INVALID_REQUEST', message: `invalid request: op: unknown operation` };
    }
  };

  const login = (clientId: string, payload: Record<string, unknown>): Record<string, Json> => {
    appliedCount.set('login', (appliedCount.get('login') ?? 0) + 1);
    if (payload.card !== script.card) return { code: 'UNKNOWN_CARD', message: 'unknown card' };
    if (payload.pinBlock !== pinBlock(script.card, script.pin)) return { code: 'INCORRECT_PIN', message: 'incorrect PIN', triesLeft: 2 };
    const theirs = typeof payload.dh === 'string' ? payload.dh : '';
    if (!/^[0-9a-f]{512}$/u.test(theirs)) return { code: 'INVALID_REQUEST', message: 'invalid request: dh: expected 512 hex characters' };
    const dh = createDhParty();
    const token = randomBytes(32).toString('hex');
    const key = randomBytes(32);
    sessions.set(clientId, { key, token });
    const wrappedKey = xor(key, sessionKeyMask(dh.secret(theirs), token)).toString('hex');
    return { code: 'APPROVED', message: 'approved', session: token, holder: 'Check User', expiresAt: Date.now() + 300_000, dh: dh.publicHex, wrappedKey };
  };

  const handle = (socket: net.Socket, text: string, connection: number): void => {
    let envelope: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      envelope = parsed as Record<string, unknown>;
    } catch {
      violations.push(`the client sent a frame that is not a JSON envelope: ${text.slice(0, 120)}`);
      socket.destroy();
      return;
    }
    const { clientId, seq, ack, payload, mac } = envelope;
    if (envelope.kind !== 'request' || typeof clientId !== 'string' || typeof seq !== 'number' || typeof ack !== 'number' || payload === null || typeof payload !== 'object') {
      violations.push(`the client sent an envelope without kind "request", clientId, seq, ack and payload: ${text.slice(0, 160)}`);
      socket.destroy();
      return;
    }
    const body = payload as Record<string, unknown>;
    const op = typeof body.op === 'string' ? body.op : '?';
    const canonical = canonicalJson(body as JsonObject);
    received.push({ clientId, seq, ack, op, payload: body, canonical, hasMac: typeof mac === 'string', connection });
    const nth = arrivalsOf.get(op) ?? 0;
    arrivalsOf.set(op, nth + 1);
    const fault = script.faults?.[op]?.[nth];
    if (fault === 'lose-request') {
      socket.destroy();
      return;
    }
    const id = `${clientId}#${seq}`;
    const reply = (fields: Record<string, Json>): void => {
      if (fault === 'lose-reply') {
        socket.destroy();
        return;
      }
      socket.write(frame(JSON.stringify({ kind: 'reply', clientId, seq, ...fields })));
    };
    const record = records.get(id);
    if (record !== undefined) {
      if (record.canonical !== canonical) {
        violations.push(`request id ${id} was used for two different payloads: ${record.canonical} and ${canonical}`);
        reply({ status: 'error', code: 'ERR_MISMATCH', message: 'this request id was used for another payload' });
        return;
      }
      reply({ status: 'done', replay: true, body: record.body });
      return;
    }
    let value: Record<string, Json>;
    if (op === 'login') {
      if (seq !== 1 || ack !== 0 || mac !== undefined) {
        violations.push(`a login was sent as ${id} (ack ${ack}${mac === undefined ? '' : ', with a mac'}); a login must be request 1 (ack 0, no mac) of a fresh client id`);
        reply({ status: 'error', code: 'ERR_INVALID_REQUEST', message: 'a login must be the first request of a new client id (seq 1, ack 0)' });
        return;
      }
      value = login(clientId, body);
    } else {
      const session = sessions.get(clientId);
      if (session === undefined || !macMatches(session.key, clientId, seq, ack, body as JsonObject, mac)) {
        violations.push(`${op} ${id} ${mac === undefined ? 'had no mac' : 'had a mac that does not verify under the session key'}`);
        reply({ status: 'error', code: 'ERR_UNAUTHENTICATED', message: 'no or wrong mac' });
        return;
      }
      value = apply(op, body, clientId);
    }
    const stored = ok(value);
    records.set(id, { canonical, body: stored });
    reply({ status: 'done', replay: false, body: stored });
  };

  const server = net.createServer((socket) => {
    const connection = connections++;
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4 && !socket.destroyed) {
        const length = buffer.readUInt32BE(0);
        if (length > ATM_MAX_FRAME_BYTES) {
          violations.push(`the client sent a frame header of ${length} bytes (over the 64 KiB limit)`);
          socket.destroy();
          return;
        }
        if (buffer.length < 4 + length) break;
        const text = buffer.subarray(4, 4 + length).toString('utf8');
        buffer = buffer.subarray(4 + length);
        handle(socket, text, connection);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  );
  return {
    endpoint: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port },
    received,
    violations,
    applied: (op) => appliedCount.get(op) ?? 0,
    balance: () => balance,
  };
}
