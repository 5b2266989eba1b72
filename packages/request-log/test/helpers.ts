/** Small helpers the request-log tests share (the conformance suite itself is in `@netlab/testing/compliance`). */
import { type JsonValue, type ReplyEnvelope, type RequestEnvelope, parseReplyBody } from '../src/index.js';

export function request(clientId: string, seq: number, ack: number, payload: JsonValue): RequestEnvelope {
  return { kind: 'request', clientId, seq, ack, payload };
}

export function valueOf(reply: ReplyEnvelope): JsonValue {
  if (reply.status !== 'done') throw new Error(`expected a done reply, got ${reply.code}`);
  const body = parseReplyBody(reply.body);
  if (!body.ok) throw new Error(`effect failed: ${body.error.message}`);
  return body.value;
}

export function codeOf(reply: ReplyEnvelope): string {
  return reply.status === 'error' ? reply.code : 'done';
}
