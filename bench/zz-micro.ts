import { canonicalJson, successBody } from '@netlab/request-log';
const p = { op: 'withdraw', account: 'a1', amount: 5 };
const N = 2_000_000;
const cases: Record<string, () => unknown> = {
  canon: () => canonicalJson(p),
  stringify: () => JSON.stringify(p),
  success: () => successBody({ balance: 123456789 }),
  successStr: () => JSON.stringify({ ok: true, value: { balance: 123456789 } }),
  map: () => { const m = new Map(); m.set('a1', 5); return m; },
  key: () => `bench-0\u0000${N}`,
  now: () => Date.now(),
  promise: () => Promise.resolve(1),
};
let sink = 0;
for (let round = 0; round < 3; round++) for (const [name, f] of Object.entries(cases)) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) { const r = f(); if (r === undefined) sink++; }
  if (round === 2) console.log(name.padEnd(12), ((performance.now() - t0) * 1e6 / N).toFixed(0), 'ns');
}
