import { canonicalJson, successBody } from '@netlab/request-log';
const mode = process.argv[2] ?? 'canon';
const N = Number(process.argv[3] ?? 1000);
const p = { op: 'withdraw', account: 'a1', amount: 5 };
let sink = 0;
const f: () => string | object = {
  none: () => 'x',
  canon: () => canonicalJson(p),
  stringify: () => JSON.stringify(p),
  success: () => successBody({ balance: 123456789 }),
  successStr: () => JSON.stringify({ ok: true, value: { balance: 123456789 } }),
  map: () => { const m = new Map(); m.set('a1', 5); return m; },
  obj: () => ({ kind: 'fresh', reply: 'x' + sink }),
  now: () => String(Date.now()),
}[mode] ?? (() => 'x');
for (let i = 0; i < N * 10; i++) { const r = f(); if (typeof r === 'string') sink += r.length; }
console.log(mode, sink);
