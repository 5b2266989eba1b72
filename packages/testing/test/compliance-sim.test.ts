import { createDatagramCodec, createTextCodec } from '@netlab/codec';
import { describeTransportCompliance } from '../src/compliance/index.js';
import { type Simulation, connectSimulated, createSimNetwork, createSimulation, serveSimulated } from '../src/index.js';

/**
 * The simulated network as a transport, run live: events are stepped one per macrotask as soon as
 * any are queued (so promise continuations of async sessions settle between events), on virtual
 * time, with the default 30 % loss turned off (the suite checks the contract, not retransmission).
 */
function live(sim: Simulation): { kick(): void; stop(): void } {
  let running = false;
  let stopped = false;
  const loop = async (): Promise<void> => {
    running = true;
    while (!stopped && (await sim.step())) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    running = false;
  };
  return {
    kick() {
      if (!running && !stopped) void loop();
    },
    stop() {
      stopped = true;
    },
  };
}

const sim = createSimulation({ seed: 20_261_201 });
const network = createSimNetwork({ simulation: sim, loss: 0, duplicate: 0, late: 0 });
const runner = live(sim);
let nextNode = 1;
// Kick the runner whenever the suite (outside any event) queues something.
const kicking = {
  now: () => sim.clock.now(),
  setTimeout(callback: () => void, ms: number): unknown {
    const handle = sim.clock.setTimeout(callback, ms);
    runner.kick();
    return handle;
  },
  clearTimeout(handle: unknown): void {
    sim.clock.clearTimeout(handle);
  },
};

describeTransportCompliance('simulated network (virtual time)', {
  clock: kicking,
  startServer(service, limits) {
    const address = `server-${nextNode++}`;
    const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: limits.maxMessageBytes });
    const server = serveSimulated({ simulation: sim, network, address, service, codec });
    return Promise.resolve({
      host: address,
      port: 0,
      close: (graceMs: number) => {
        const closed = server.close(graceMs);
        runner.kick();
        return closed;
      },
    });
  },
  connect(server, limits) {
    const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: limits.maxMessageBytes * 2 });
    const client = connectSimulated({ simulation: sim, network, address: `client-${nextNode++}`, server: server.host, codec });
    return Promise.resolve({
      request: (message: string, timeoutMs: number) => {
        const reply = client.request(message, timeoutMs);
        runner.kick();
        return reply;
      },
      close: () => {
        client.close();
        return Promise.resolve();
      },
    });
  },
});
