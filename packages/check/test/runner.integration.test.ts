import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseFailure, type ServerCase, type ServerSuite, createServerTarget, parseSuiteFile, runServerSuite } from '../src/index.js';

/** A real line echo server on 127.0.0.1:0 that counts open connections. */
function startEcho(): Promise<{ port: number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let i = buffered.indexOf('\n');
      while (i !== -1) {
        socket.write(`${buffered.slice(0, i)}\n`);
        buffered = buffered.slice(i + 1);
        i = buffered.indexOf('\n');
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        open: () => sockets.size,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => { done(); });
          }),
      });
    });
  });
}

function kase(id: string, run: ServerCase['run'], extra: Partial<ServerCase> = {}): ServerCase {
  return { id: `t.g.${id}`, title: id, group: 'g', points: 1, run, ...extra };
}

describe('runner against a real server', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  beforeEach(async () => {
    echo = await startEcho();
  });
  afterEach(async () => {
    await echo.close();
  });

  it('runs every case in isolation: a failure, an error and a timeout do not stop the rest; needs skip', async () => {
    const suite: ServerSuite = {
      role: 'server',
      exercise: 't',
      transport: 'tcp',
      cases: [
        kase('pass', async (ctx) => {
          const probe = await ctx.tcp();
          await probe.send('hi\n');
          await probe.expectLine('hi');
        }),
        kase('fail', async (ctx) => {
          const probe = await ctx.tcp('alice');
          await probe.send('hi\n');
          await probe.expectLine('HI');
        }),
        kase('error', () => Promise.reject(new Error('checker broke'))),
        kase('overtime', () => new Promise(() => undefined), { timeoutMs: 200 }),
        kase('needs-faults', () => Promise.resolve(), { needs: ['faults'] }),
        kase('needs-restart', () => Promise.resolve(), { needs: ['server-cmd'] }),
        kase('after', async (ctx) => {
          const probe = await ctx.tcp();
          await probe.send('still\n');
          await probe.expectLine('still');
        }),
      ],
    };
    const seen: string[] = [];
    const report = await runServerSuite(suite, createServerTarget({ kind: 'address', host: '127.0.0.1', port: echo.port }, 'tcp'), {
      seed: 1,
      faults: false,
      onCaseEnd: (result) => seen.push(result.id),
    });
    expect(report.cases.map((c) => [c.id, c.status])).toEqual([
      ['t.g.pass', 'pass'],
      ['t.g.fail', 'fail'],
      ['t.g.error', 'error'],
      ['t.g.overtime', 'error'],
      ['t.g.needs-faults', 'skip'],
      ['t.g.needs-restart', 'skip'],
      ['t.g.after', 'pass'],
    ]);
    expect(seen).toEqual(report.cases.map((c) => c.id));
    expect(report.cases[1]?.message).toBe('alice: sent "hi\\n"; expected "HI"; got "hi"');
    expect(report.cases[2]?.message).toBe('checker broke');
    expect(report.cases[3]?.message).toBe('the case did not finish within 200 ms');
    expect(report.cases[4]?.message).toMatch(/--no-faults/u);
    expect(report.cases[5]?.message).toMatch(/needs --server-cmd/u);
    expect([report.passed, report.failed, report.score, report.maxScore]).toEqual([2, 3, 2, 5]);
    // Every connection a case opened was closed when it ended.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(echo.open()).toBe(0);
  });

  it('stretches every timeout by the time scale', async () => {
    const suite: ServerSuite = { role: 'server', exercise: 't', transport: 'tcp', cases: [kase('silent', async (ctx) => {
      await (await ctx.tcp()).expectLine('never');
    })] };
    const report = await runServerSuite(suite, createServerTarget({ kind: 'address', host: '127.0.0.1', port: echo.port }, 'tcp'), { seed: 1, timeScale: 0.1 });
    expect(report.cases[0]?.message).toBe('client: expected "never"; got nothing within 300 ms');
  });

  it('gives each case its own seeded generator: the same seed replays it, with or without --only', async () => {
    const draws = new Map<string, number[]>();
    const suite: ServerSuite = {
      role: 'server',
      exercise: 't',
      transport: 'tcp',
      cases: ['a', 'b'].map((id) =>
        kase(id, (ctx) => {
          draws.set(`${ctx.seed}:${id}:${draws.size}`, [ctx.rng.int(1e9), ctx.rng.int(1e9)]);
          return Promise.resolve();
        }),
      ),
    };
    const target = createServerTarget({ kind: 'address', host: '127.0.0.1', port: echo.port }, 'tcp');
    await runServerSuite(suite, target, { seed: 5 });
    await runServerSuite(suite, target, { seed: 5, only: ['t.g.b'] });
    await runServerSuite(suite, target, { seed: 6, only: ['t.g.b'] });
    const values = [...draws.values()];
    expect(values[1]).toEqual(values[2]);
    expect(values[0]).not.toEqual(values[1]);
    expect(values[3]).not.toEqual(values[2]);
  });

  it('selects cases by id or prefix and refuses a name that matches nothing', async () => {
    const suite: ServerSuite = { role: 'server', exercise: 't', transport: 'tcp', cases: [kase('one', () => Promise.resolve()), kase('two', () => Promise.reject(new CaseFailure('no')))] };
    const target = createServerTarget({ kind: 'address', host: '127.0.0.1', port: echo.port }, 'tcp');
    expect((await runServerSuite(suite, target, { seed: 1, only: ['t.g'] })).cases).toHaveLength(2);
    expect((await runServerSuite(suite, target, { seed: 1, only: ['t.g.one'] })).cases.map((c) => c.id)).toEqual(['t.g.one']);
    await expect(runServerSuite(suite, target, { seed: 1, only: ['t.g.on'] })).rejects.toThrow(/no case "t\.g\.on"/u);
  });

  it('runs a teacher\'s suite file over TCP: sends text and hex, expects lines, patterns and the close', async () => {
    const suite = parseSuiteFile(`exercise: my-echo
transport: tcp
cases:
  - id: echo-basic
    title: echoes a line
    steps:
      - connect: a
      - send: { to: a, text: "hello\\n" }
      - expect: { from: a, line: "hello" }
      - send: { to: a, hex: "68690a" }
      - expect: { from: a, match: "^h.$" }
  - id: wrong
    title: expects the wrong thing
    steps:
      - connect: a
      - send: { to: a, text: "hello\\n" }
      - expect: { from: a, line: "HELLO", timeoutMs: 500 }
`);
    const report = await runServerSuite(suite, createServerTarget({ kind: 'address', host: '127.0.0.1', port: echo.port }, 'tcp'), { seed: 3 });
    expect(report.cases.map((c) => c.status)).toEqual(['pass', 'fail']);
    expect(report.cases[1]?.message).toBe('a: sent "hello\\n"; expected "HELLO"; got "hello"');
  });

  it('refuses to start against a loopback port nothing listens on (ERR_TARGET_START)', async () => {
    const port = echo.port;
    await echo.close();
    const suite: ServerSuite = { role: 'server', exercise: 't', transport: 'tcp', cases: [kase('x', () => Promise.resolve())] };
    await expect(runServerSuite(suite, createServerTarget({ kind: 'address', host: '127.0.0.1', port }, 'tcp'), { seed: 1 })).rejects.toMatchObject({ code: 'ERR_TARGET_START' });
    echo = await startEcho();
  });
});
