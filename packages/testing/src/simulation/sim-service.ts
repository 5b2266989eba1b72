/**
 * The simulated network as the fourth adapter of the service contract: `serveSimulated` runs a
 * service on a node of a {@link SimNetwork}, one session per peer node (the way the UDP server
 * keeps one per address:port), each a `SessionDriver` of `@netlab/service` behind datagram glue;
 * `connectSimulated` is a client node. Time is the simulation's: `ctx.now()`, the grace period
 * and request timeouts run on virtual time.
 *
 * Wire format: one message per datagram through a `DatagramCodec` (its size limit applies both
 * ways); a datagram the codec rejects is answered with `service.malformed` (or dropped) and never
 * opens or closes a session.
 */
import type { DatagramCodec } from '@netlab/codec';
import { withinGrace } from '@netlab/ground';
import { type CloseReason, type Peer, type Service, SessionDriver, type SessionFailure, type SessionHost } from '@netlab/service';
import { TestingError } from '../errors.js';
import type { SimNetwork } from './sim-network.js';
import type { Simulation } from './simulation.js';

export interface SimulatedServerOptions<In, Out> {
  readonly simulation: Simulation;
  readonly network: SimNetwork;
  /** The node name the server answers on. Required. */
  readonly address: string;
  readonly service: Service<In, Out>;
  readonly codec: DatagramCodec<In, Out>;
  /** Receives `ctx.log` lines and session errors. Default: discarded. */
  readonly log?: (line: string) => void;
}

export interface SimulatedServer {
  readonly address: string;
  /** Sessions open now. */
  readonly sessions: number;
  /**
   * Stops: the node drops new datagrams, every session finishes what it received (ending with
   * `kind: 'shutdown'`), what is left after `graceMs` (virtual) is closed, then the node goes down.
   */
  close(graceMs: number): Promise<void>;
}

let nextPeer = 1;

/** Serves `service` on node `address` of the simulated network. */
export function serveSimulated<In, Out>(options: SimulatedServerOptions<In, Out>): SimulatedServer {
  const { simulation: sim, network, address, service, codec } = options;
  const log = options.log ?? ((): void => undefined);
  const sessions = new Map<string, SessionDriver<In, Out>>();
  const shared = { service };
  let closing: Promise<void> | undefined;
  let emptied: (() => void) | undefined;

  const reply = (message: Out, to: string): boolean => {
    let bytes: Uint8Array;
    try {
      bytes = codec.encode(message);
    } catch (error) {
      log(`${address}: cannot encode a reply to ${to}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    network.send(address, to, bytes);
    return true;
  };

  const hostFor = (from: string): SessionHost<Out> => ({
    write: (message) => reply(message, from),
    flush: () => undefined,
    flowChanged: () => undefined,
    closed: () => {
      sessions.delete(from);
      if (sessions.size === 0) emptied?.();
    },
    failure: (failure: SessionFailure) => new TestingError('ERR_SESSION_FAILED', `service ${service.name} failed on ${from} (${failure.kind}): ${String(failure.cause)}`, { cause: failure.cause }),
    report: (error) => {
      log(`${address}: ${error.message}`);
    },
    log: (line) => {
      log(`${address}: ${from}: ${line}`);
    },
    now: () => sim.now,
  });

  network.attach(address, (bytes, from) => {
    if (closing !== undefined) return;
    let driver = sessions.get(from);
    const peer: Peer = driver?.peer ?? { transport: 'local', address: from, port: 0, id: `sim:${from}#${nextPeer++}` };
    let message: In;
    try {
      message = codec.decode(bytes);
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      for (const answer of service.malformed?.(error, peer) ?? []) reply(answer, from);
      return;
    }
    if (driver === undefined) {
      driver = new SessionDriver(shared, peer, hostFor(from));
      sessions.set(from, driver);
      driver.open();
      if (driver.closed) return;
    }
    driver.deliver(message);
    driver.pump();
  });

  return {
    address,
    get sessions() {
      return sessions.size;
    },
    close(graceMs) {
      closing ??= (async () => {
        const allClosed = new Promise<void>((resolve) => {
          emptied = resolve;
        });
        for (const driver of [...sessions.values()]) driver.shutdown();
        if (sessions.size > 0) await withinGrace(allClosed, graceMs, sim.clock);
        const forced: CloseReason = { kind: 'shutdown', message: 'shutdown grace period elapsed' };
        for (const driver of [...sessions.values()]) driver.abort(forced, 'destroy');
        network.down(address);
      })();
      return closing;
    },
  };
}

export interface SimulatedClient<In, Out> {
  /** Sends `message` and resolves with the next datagram from the server; rejects after `timeoutMs` of virtual time. */
  request(message: Out, timeoutMs: number): Promise<In>;
  close(): void;
}

/** A client node `address` talking to `server` (replies are matched in order: one request at a time). */
export function connectSimulated<In, Out>(options: {
  readonly simulation: Simulation;
  readonly network: SimNetwork;
  readonly address: string;
  readonly server: string;
  /** Decodes the server's replies (`In` here is what the server sends). */
  readonly codec: DatagramCodec<In, Out>;
}): SimulatedClient<In, Out> {
  const { simulation: sim, network, address, server, codec } = options;
  const waiting: { resolve(message: In): void; reject(error: Error): void; timer: unknown }[] = [];
  let closed = false;
  network.attach(address, (bytes) => {
    const next = waiting.shift();
    if (next === undefined) return;
    sim.clock.clearTimeout(next.timer);
    try {
      next.resolve(codec.decode(bytes));
    } catch (error) {
      next.reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
  return {
    request(message, timeoutMs) {
      if (closed) return Promise.reject(new TestingError('ERR_CLOSED', `client ${address} is closed`));
      let bytes: Uint8Array;
      try {
        bytes = codec.encode(message);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return new Promise<In>((resolve, reject) => {
        const entry = {
          resolve,
          reject,
          timer: sim.clock.setTimeout(() => {
            const i = waiting.indexOf(entry);
            if (i !== -1) waiting.splice(i, 1);
            reject(new TestingError('ERR_TIMEOUT', `no reply from ${server} to ${address} within ${timeoutMs} ms (virtual)`));
          }, timeoutMs),
        };
        waiting.push(entry);
        network.send(address, server, bytes);
      });
    },
    close() {
      closed = true;
      network.down(address);
      for (const entry of waiting.splice(0)) {
        sim.clock.clearTimeout(entry.timer);
        entry.reject(new TestingError('ERR_CLOSED', `client ${address} closed`));
      }
    },
  };
}
