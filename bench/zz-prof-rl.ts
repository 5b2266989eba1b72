import { type MemoryEffect, createClientStreamCodec, createMemoryStore, createRequestLog, createServerStreamCodec, type RequestEnvelope } from '@netlab/request-log';
const clientCodec = createClientStreamCodec();
const serverCodec = createServerStreamCodec();
const mode = process.argv[2] ?? 'logged';
const N = Number(process.argv[3] ?? 1_000_000);
const withdraw: MemoryEffect = (tx, payload) => {
  const { account, amount } = payload as { account: string; amount: number };
  const balance = tx.get(account);
  const next = (typeof balance === 'number' ? balance : 1e12) - amount;
  tx.set(account, next);
  return { balance: next };
};
const data = new Map<string, unknown>();
function decodeOne(bytes: Uint8Array): RequestEnvelope {
  const [request] = serverCodec.createDecoder().push(bytes);
  if (request === undefined) throw new Error('no request decoded');
  return request;
}
const enc = (seq: number) => clientCodec.encode({ kind: 'request', clientId: 'bench-0', seq, ack: seq - 1, payload: { op: 'withdraw', account: 'a1', amount: 5 } });
const log = createRequestLog({ store: createMemoryStore(), maxInFlight: 64 });
const t0 = performance.now();
let sink = 0;
for (let i = 1; i <= N; i++) {
  if (mode === 'logged') {
    sink += serverCodec.encode(await log.execute(decodeOne(enc(i)), withdraw)).length;
  } else if (mode === 'bare') {
    const request = decodeOne(enc(i));
    const { account, amount } = request.payload as { account: string; amount: number };
    const balance = data.get(account);
    const next = (typeof balance === 'number' ? balance : 1e12) - amount;
    data.set(account, next);
    await Promise.resolve();
    sink += serverCodec.encode({ kind: 'reply', clientId: request.clientId, seq: request.seq, status: 'done', replay: false, body: JSON.stringify({ ok: true, value: { balance: next } }) }).length;
  } else {
    sink += enc(i).length;
  }
}
console.log(mode, ((performance.now() - t0) * 1000 / N).toFixed(3), 'µs/op', sink);
