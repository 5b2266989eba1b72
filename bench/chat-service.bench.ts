/**
 * Chat fan-out through the pure service, without any transport: the ceiling the room logic itself
 * puts on deliveries per second (the socket benchmark of issue 7 measures the whole stack).
 *
 * Run: node --import tsx bench/chat-service.bench.ts
 *
 * 1,000 members, each with a context that only counts what it is sent; members take turns sending
 * lines for a fixed time, and every line is delivered to all 1,000 members.
 */
import type { Session, SessionContext } from '../packages/service/src/index.js';
import { createChatService } from '../packages/service-chat/src/index.js';

const MEMBERS = 1000;
const DURATION_MS = 2000;

const service = createChatService({ maxMembers: MEMBERS, floodRate: 1e9, floodBurst: 1e9 });
let delivered = 0;
const sessions: Session<string, string>[] = [];
for (let i = 0; i < MEMBERS; i++) {
  const ctx: SessionContext<string> = {
    peer: { transport: 'local', address: 'bench', port: i, id: `bench#${i}` },
    closed: false,
    send: () => {
      delivered++;
      return true;
    },
    close: () => undefined,
    log: () => undefined,
    now: () => performance.now(),
  };
  const session = service.open(ctx.peer, ctx);
  await session.receive(`member${i}`);
  sessions.push(session);
}
delivered = 0;

const start = performance.now();
let lines = 0;
let elapsed = 0;
do {
  for (let k = 0; k < 100; k++) {
    const sender = sessions[lines % MEMBERS];
    if (sender !== undefined) await sender.receive(`message number ${lines}`);
    lines++;
  }
  elapsed = performance.now() - start;
} while (elapsed < DURATION_MS);

const rate = delivered / (elapsed / 1000);
console.log(`node ${process.version}: ${MEMBERS} members, ${lines.toLocaleString('en')} lines in ${(elapsed / 1000).toFixed(2)} s`);
console.log(`service-only fan-out: ${Math.round(rate).toLocaleString('en')} deliveries/s (${(1e9 / rate).toFixed(0)} ns per delivery)`);
