import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createTestHosts,
  isTestHostsError,
  listNamespaces,
  listTestHostNamespaces,
  parseHostName,
  resolvePrefix,
  sweepStaleTestHosts,
  testHostsSupport,
  withTestHosts,
} from '../src/index.js';
import type { TestHost } from '../src/index.js';

const support = await testHostsSupport();
if (!support.ok) console.warn(`skipping the test-hosts suite: ${support.reason}`);
const TIMEOUT = { timeout: 60_000 };
const FIXTURE = fileURLToPath(new URL('./fixtures/hold-hosts.ts', import.meta.url));

/** Namespaces of our prefix created by process `pid`. */
async function namespacesOf(pid: number): Promise<string[]> {
  const prefix = resolvePrefix();
  return (await listTestHostNamespaces()).filter((name) => parseHostName(name, prefix)?.pid === pid);
}

/** Runs a node script inside a host and resolves with its stdout (bounded). */
async function nodeIn(host: TestHost, script: string, args: readonly string[] = [], timeoutMs = 20_000): Promise<string> {
  const result = await host.run(process.execPath, ['-e', script, ...args], { timeoutMs });
  return result.stdout;
}

/** A UDP sink in `host` that counts datagrams and prints `count N` on each "end" datagram. */
function startUdpCounter(host: TestHost): { port: Promise<number>; count: Promise<number>; kill: () => void } {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    let n = 0;
    s.on('message', (m) => { if (String(m) === 'end') console.log('count ' + n); else n++; });
    s.bind(0, process.argv[1], () => console.log('port ' + s.address().port));
    setTimeout(() => process.exit(2), 30000).unref();`;
  const child = host.spawn(process.execPath, ['-e', script, host.address]);
  let out = '';
  const lines: ((line: string) => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    for (const check of lines) check(out);
  });
  const waitFor = (pattern: RegExp): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no ${String(pattern)} from the UDP counter: ${out}`)); }, 30_000);
      const check = (text: string): void => {
        const match = pattern.exec(text);
        if (match !== null) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      lines.push(check);
      check(out);
    });
  return { port: waitFor(/port (\d+)/), count: waitFor(/count (\d+)/), kill: () => child.kill('SIGKILL') };
}

/** Datagrams "end" the sender repeats after the data (one must get through: 0.5^30 at 50 % loss). */
const ENDS = 30;

/** Sends `n` datagrams from `host` to `address:port`, then {@link ENDS} times "end", 20 ms apart. */
async function sendDatagrams(host: TestHost, address: string, port: number, n: number): Promise<void> {
  await nodeIn(
    host,
    `const s = require('node:dgram').createSocket('udp4');
     const [addr, port, n, ends] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4])];
     let i = 0;
     let e = 0;
     const end = () => { if (e++ < ends) s.send('end', port, addr, () => setTimeout(end, 20)); else s.close(); };
     const next = () => { if (i++ < n) s.send('x' + i, port, addr, next); else end(); };
     next();`,
    [address, String(port), String(n), String(ENDS)],
  );
}

describe.skipIf(!support.ok)('two test hosts (network namespaces, veth, nftables)', () => {
  afterAll(async () => {
    // The cleanup check of this file: nothing this process created is left.
    expect(await namespacesOf(process.pid)).toEqual([]);
  });

  it('creates two namespaces joined by a veth pair with addresses of their own, lo up in each', TIMEOUT, async () => {
    await withTestHosts(async (hosts) => {
      expect(hosts.a.name).toMatch(new RegExp(`^${resolvePrefix()}-${String(process.pid)}-${hosts.run}-a$`));
      expect((await listNamespaces()).filter((name) => name === hosts.a.name || name === hosts.b.name)).toHaveLength(2);
      const addrA = (await hosts.a.run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'veth-a'])).stdout;
      expect(addrA).toContain(`inet ${hosts.a.address}/30`);
      const lo = (await hosts.b.run('ip', ['-o', 'link', 'show', 'lo'])).stdout;
      expect(lo).toMatch(/state UNKNOWN|LOWER_UP/);
      // TCP from B to A's address over the link, and A's own loopback.
      const server = hosts.a.spawn(process.execPath, [
        '-e',
        `const srv = require('node:net').createServer((c) => c.end('hello from ' + process.argv[1] + '\\n'));
         srv.listen(0, '0.0.0.0', () => console.log('port ' + srv.address().port));
         setTimeout(() => process.exit(2), 30000).unref();`,
        hosts.a.address,
      ]);
      try {
        const [chunk] = (await once(server.stdout ?? server, 'data')) as [Buffer];
        const port = /port (\d+)/.exec(String(chunk))?.[1] ?? '';
        const client = `const c = require('node:net').connect(Number(process.argv[2]), process.argv[1]); c.pipe(process.stdout);`;
        expect(await nodeIn(hosts.b, client, [hosts.a.address, port])).toBe(`hello from ${hosts.a.address}\n`);
        expect(await nodeIn(hosts.a, client, ['127.0.0.1', port])).toBe(`hello from ${hosts.a.address}\n`);
        // Each host's kernel counted its own side: B opened one connection, A accepted two (B's and its own).
        expect(await hosts.b.kernelCounters(['TcpActiveOpens', 'TcpPassiveOpens'])).toEqual({ TcpActiveOpens: 1, TcpPassiveOpens: 0 });
        expect((await hosts.a.kernelCounters(['TcpPassiveOpens'])).TcpPassiveOpens).toBe(2);
      } finally {
        server.kill('SIGKILL');
      }
    });
  });

  it('the hosts are cut off from this machine: the root namespace has no route over the link', TIMEOUT, async () => {
    await withTestHosts(async (hosts) => {
      const links = (await hosts.a.run('ip', ['-o', 'link', 'show'])).stdout;
      expect(links.split('\n').filter((line) => line.trim() !== '').map((line) => line.split(':')[1]?.trim().split('@')[0])).toEqual(['lo', 'veth-a']);
      // Only the link's own subnet is routed inside A: nothing can leave for another machine.
      const routes = (await hosts.a.run('ip', ['-4', 'route', 'show'])).stdout.trim().split('\n');
      expect(routes).toHaveLength(1);
      expect(routes[0]).toMatch(/ dev veth-a /);
    });
  });

  it('drops a share of the link\'s packets with nftables, and the counters say exactly how many', TIMEOUT, async () => {
    await withTestHosts(async (hosts) => {
      await hosts.setLoss(0.5);
      const counter = startUdpCounter(hosts.a);
      try {
        const port = await counter.port;
        await sendDatagrams(hosts.b, hosts.a.address, port, 400);
        const received = await counter.count;
        const counters = await hosts.a.lossCounters();
        // Every datagram met the rule exactly once, and nothing else crossed the link into A.
        expect(counters.inbound.seen).toBe(400 + ENDS);
        const lostData = 400 - received;
        expect(counters.inbound.dropped).toBeGreaterThanOrEqual(lostData);
        expect(counters.inbound.dropped - lostData).toBeLessThan(ENDS);
        // 50 % of 400: P(outside 120..280) < 1e-14.
        expect(received).toBeGreaterThan(120);
        expect(received).toBeLessThan(280);
      } finally {
        counter.kill();
      }
      await hosts.clearLoss();
      await expect(hosts.a.lossCounters()).rejects.toSatisfy((error: unknown) => isTestHostsError(error, 'ERR_COMMAND_FAILED'));
      // Without loss every datagram arrives.
      const clean = startUdpCounter(hosts.a);
      try {
        await sendDatagrams(hosts.b, hosts.a.address, await clean.port, 200);
        expect(await clean.count).toBe(200);
      } finally {
        clean.kill();
      }
    });
  });

  it('applies netem delay where the kernel has it, and says why not where it does not', TIMEOUT, async () => {
    await withTestHosts(async (hosts) => {
      const netem = await hosts.a.netem();
      if (!netem.ok) {
        console.warn(`netem delay and reordering not tested: ${netem.reason}`);
        await expect(hosts.a.setDelay({ delayMs: 20 })).rejects.toSatisfy((error: unknown) => isTestHostsError(error, 'ERR_NO_NETEM'));
        return;
      }
      await hosts.a.setDelay({ delayMs: 20, jitterMs: 5, reorder: 0.1 });
      expect((await hosts.a.run('tc', ['qdisc', 'show', 'dev', 'veth-a'])).stdout).toMatch(/netem .*delay 20/);
      await hosts.a.clearDelay();
      expect((await hosts.a.run('tc', ['qdisc', 'show', 'dev', 'veth-a'])).stdout).not.toContain('netem');
    });
  });

  it('refuses addresses outside the private ranges and bad prefix lengths before creating anything', TIMEOUT, async () => {
    const before = await namespacesOf(process.pid);
    for (const options of [{ addressA: '8.8.8.1' }, { addressA: '10.0.0.1', addressB: '10.0.1.2' }, { prefixLength: 31 }, { addressA: '10.0.0.0' }, { prefix: 'Bad-Prefix' }]) {
      await expect(createTestHosts(options)).rejects.toSatisfy((error: unknown) => isTestHostsError(error, 'ERR_INVALID_OPTION'));
    }
    expect(await namespacesOf(process.pid)).toEqual(before);
  });

  it('removes both namespaces on destroy (idempotent) and refuses use afterwards with ERR_DESTROYED', TIMEOUT, async () => {
    const hosts = await createTestHosts({ addressA: '192.168.77.1', addressB: '192.168.77.2', prefixLength: 24 });
    expect(hosts.b.address).toBe('192.168.77.2');
    await hosts.destroy();
    await hosts.destroy();
    expect(hosts.destroyed).toBe(true);
    expect((await listNamespaces()).filter((name) => name === hosts.a.name || name === hosts.b.name)).toEqual([]);
    expect(() => hosts.b.spawn('true')).toThrow(expect.objectContaining({ code: 'ERR_DESTROYED' }) as Error);
  });

  it('removes everything when the test body fails, and kills what still ran inside', TIMEOUT, async () => {
    let names: string[] = [];
    let sleeperExit: Promise<unknown[]> | undefined;
    await expect(
      withTestHosts(async (hosts) => {
        names = [hosts.a.name, hosts.b.name];
        const sleeper = hosts.b.spawn('sleep', ['600']);
        sleeperExit = once(sleeper, 'exit');
        await once(sleeper, 'spawn');
        throw new Error('the assertion that failed');
      }),
    ).rejects.toThrow('the assertion that failed');
    expect((await listNamespaces()).filter((name) => names.includes(name))).toEqual([]);
    // destroy() killed it: the exit comes at once (the test timeout bounds the wait).
    expect(await sleeperExit).toEqual([null, 'SIGKILL']);
  });

  for (const how of ['exit', 'throw', 'SIGTERM'] as const) {
    it(`a process that ends without destroy() (${how}) still removes its hosts on the way out`, TIMEOUT, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, how === 'SIGTERM' ? 'wait' : how], { stdio: ['ignore', 'pipe', 'pipe'] });
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const names = String(chunk).trim().split(' ');
      expect(names).toHaveLength(2);
      expect((await listNamespaces()).filter((name) => names.includes(name))).toHaveLength(2);
      const exited = once(child, 'exit');
      if (how === 'SIGTERM') child.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, string | null];
      expect(how === 'SIGTERM' ? signal : code).toBe(how === 'SIGTERM' ? 'SIGTERM' : how === 'exit' ? 3 : 1);
      expect((await listNamespaces()).filter((name) => names.includes(name))).toEqual([]);
    });
  }

  it('a run killed with SIGKILL leaves its hosts, and the next sweep removes them (but not a live run\'s)', TIMEOUT, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, 'wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const names = String(chunk).trim().split(' ');
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    expect((await listNamespaces()).filter((name) => names.includes(name))).toHaveLength(2);
    await withTestHosts(async (mine) => {
      // Ours are alive (this process runs): the sweep leaves them.
      const removed = await sweepStaleTestHosts();
      expect(removed).not.toContain(mine.a.name);
      expect((await listNamespaces()).filter((name) => name === mine.a.name)).toHaveLength(1);
      // creating hosts swept already, or this sweep did: either way the dead run's are gone.
      expect((await listNamespaces()).filter((name) => names.includes(name))).toEqual([]);
    });
  });
});
