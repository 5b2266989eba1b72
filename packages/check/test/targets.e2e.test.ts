import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServerSuite, connectTcpProbe, createClientRunner, createServerTarget, liveTargetCount, runServerSuite } from '../src/index.js';

const NODE = `"${process.execPath}"`;
const fixture = (name: string): string => `"${fileURLToPath(new URL(`./fixtures/node/${name}`, import.meta.url))}"`;
const TIMEOUT = { timeout: 60_000 };
const dir = mkdtempSync(join(tmpdir(), 'netlab-check-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const echoCase = (id: string, line: string): ServerSuite['cases'][number] => ({
  id,
  title: id,
  group: 'g',
  points: 1,
  async run(ctx) {
    const probe = await ctx.tcp();
    await probe.send(`${line}\n`);
    await probe.expectLine(line);
  },
});

describe('server targets started with --server-cmd (real processes)', () => {
  it('gives {tmp} one directory for the whole run, the same after a kill -9 restart, and removes it at the end', TIMEOUT, async () => {
    // The server writes its pid into {tmp}/pids (appending) and echoes the file's content.
    const script = "const fs=require('fs');const net=require('net');const f=process.argv[2]+'/pids';fs.appendFileSync(f,process.pid+' ');net.createServer(s=>s.end(process.argv[2]+' '+fs.readFileSync(f,'utf8')+'\\n')).listen(+process.argv[1],'127.0.0.1')";
    const target = createServerTarget({ kind: 'command', command: `${NODE} -e "${script}" {port} {tmp}` }, 'tcp');
    const read = async (): Promise<string> => {
      const probe = await connectTcpProbe({ host: target.endpoint.host, port: target.endpoint.port, timeoutMs: 10_000 });
      const line = (await probe.nextLine()) ?? '';
      probe.destroy();
      return line;
    };
    await target.start();
    let runDir = '';
    try {
      const [firstDir, ...first] = (await read()).trim().split(' ');
      runDir = firstDir ?? '';
      expect(first).toHaveLength(1);
      expect(existsSync(join(runDir, 'pids'))).toBe(true);
      await target.restart();
      const [secondDir, ...second] = (await read()).trim().split(' ');
      // The restarted server found the first one's file: same directory, two different pids.
      expect(secondDir).toBe(runDir);
      expect(second).toHaveLength(2);
      expect(second[0]).toBe(first[0]);
      expect(second[1]).not.toBe(first[0]);
    } finally {
      await target.stop();
    }
    expect(existsSync(runDir)).toBe(false);
  });

  it('reports a crash in the case that caused it, restarts the server on a new port, and goes on', TIMEOUT, async () => {
    const suite: ServerSuite = { role: 'server', exercise: 't', transport: 'tcp', cases: [echoCase('t.g.before', 'hello'), echoCase('t.g.crash', 'crash'), echoCase('t.g.after', 'again')] };
    const target = createServerTarget({ kind: 'command', command: `${NODE} ${fixture('crashy-echo.mjs')} {port}` }, 'tcp');
    const ports: number[] = [];
    const report = await runServerSuite(suite, target, { seed: 1, onCaseStart: () => ports.push(target.endpoint.port) });
    expect(report.cases.map((c) => c.status)).toEqual(['pass', 'fail', 'pass']);
    expect(report.cases[1]?.message).toMatch(/the server crashed \(exit code 3\); its stderr ends: "Traceback: told to crash"; it was restarted for the next case$/u);
    expect(ports[2]).not.toBe(ports[1]);
    expect(liveTargetCount()).toBe(0);
  });

  it('fails with ERR_TARGET_START when the command exits before listening, quoting its stderr', TIMEOUT, async () => {
    const target = createServerTarget({ kind: 'command', command: `${NODE} -e "console.error('port {port} is mine'); process.exit(4)"` }, 'tcp');
    await expect(target.start()).rejects.toThrow(/exited before listening on tcp:\/\/127\.0\.0\.1:\d+ \(exit code 4\); its stderr ends: "port \d+ is mine"/u);
  });

  it('fails with ERR_TARGET_START when nothing listens within the start timeout, and leaves no process behind', TIMEOUT, async () => {
    const target = createServerTarget({ kind: 'command', command: `${NODE} -e "setInterval(() => undefined, 1000)"`, startTimeoutMs: 500 }, 'udp');
    await expect(target.start()).rejects.toMatchObject({ code: 'ERR_TARGET_START', message: expect.stringMatching(/did not listen on udp:\/\/127\.0\.0\.1:\d+ within 500 ms/u) as unknown });
    expect(liveTargetCount()).toBe(0);
  });

  it('stops the whole process group at the end, children and a server that ignores SIGTERM included', TIMEOUT, async () => {
    const pidFile = join(dir, 'child.pid');
    const suite: ServerSuite = { role: 'server', exercise: 't', transport: 'tcp', cases: [echoCase('t.g.one', 'hi')] };
    const target = createServerTarget({ kind: 'command', command: `${NODE} ${fixture('spawns-child.mjs')} {port} "${pidFile}"` }, 'tcp');
    let childPid = 0;
    const report = await runServerSuite(suite, target, {
      seed: 1,
      onCaseEnd: () => {
        childPid = Number(readFileSync(pidFile, 'utf8'));
      },
    });
    expect(report.cases[0]?.status).toBe('pass');
    expect(childPid).toBeGreaterThan(0);
    expect(isAlive(childPid)).toBe(false);
  });
});

describe('client runs (--client-cmd)', () => {
  it('kills a client that never exits after its time, with its output so far', TIMEOUT, async () => {
    const runner = createClientRunner(`${NODE} -e "console.log('waiting on {host}:{port}'); setInterval(() => undefined, 1000)"`);
    const result = await runner.run({ endpoint: { host: '127.0.0.1', port: 9 }, timeoutMs: 1000, input: 'hello\n' });
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe('waiting on 127.0.0.1:9\n');
    expect(liveTargetCount()).toBe(0);
  });

  it('collects the exit code, stdout and stderr of a client that reads its input', TIMEOUT, async () => {
    const runner = createClientRunner(`${NODE} -e "process.stdin.on('data', (d) => process.stdout.write(String(d).toUpperCase())); process.stdin.on('end', () => { console.error('done'); process.exit(5); })"`);
    const result = await runner.run({ endpoint: { host: '127.0.0.1', port: 9 }, timeoutMs: 10_000, input: 'hello\n' });
    expect(result).toMatchObject({ code: 5, stdout: 'HELLO\n', stderr: 'done\n', timedOut: false });
  });
});
