/**
 * `--verbose` on a server: every message received and sent is logged on stderr, as the classic
 * lab servers print "received … from …":
 *
 *   echo: received "hello" from 127.0.0.1:40895
 *   echo: sent "hello" to 127.0.0.1:40895
 *
 * Payloads are printed as JSON strings (control characters and quotes escaped, so a line never
 * breaks the log) and cut after {@link MAX_LOGGED_PAYLOAD_CHARS} UTF-16 units with `…(N more)`.
 */
import { formatHostPort, isPromiseLike } from '@netlab/ground';
import type { Peer, Service, SessionContext } from '@netlab/service';

let enabled = process.env.NETLAB_VERBOSE === '1';

/**
 * Turns payload logging on for every server this process starts without an explicit `verbose`
 * option: `server --verbose` calls it before its action runs. Default: on when the environment
 * has `NETLAB_VERBOSE=1`.
 */
export function setPayloadLogging(on: boolean): void {
  enabled = on;
}

/** Whether servers started without an explicit `verbose` option log payloads. */
export function isPayloadLogging(): boolean {
  return enabled;
}

/** Longest payload text logged before it is cut. */
export const MAX_LOGGED_PAYLOAD_CHARS = 200;

/** `"hello"`, `"a\tb"`, `{"kind":"request",…}`, cut to `maxChars`. */
export function formatPayload(message: unknown, maxChars: number = MAX_LOGGED_PAYLOAD_CHARS): string {
  let text: string;
  if (message instanceof Uint8Array) text = `<${message.byteLength} bytes>`;
  else {
    let json: string | undefined;
    try {
      json = JSON.stringify(message, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    } catch {
      json = undefined;
    }
    text = json ?? String(message);
  }
  if (text.length <= maxChars) return text;
  // Cut in UTF-16 units, never between the two halves of a surrogate pair.
  let cut = maxChars;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…(${text.length - cut} more)`;
}

/** `127.0.0.1:53122`, `[::1]:53122`. */
function where(peer: Peer): string {
  return formatHostPort(peer.address, peer.port);
}

/** Wraps `service` so each message received and sent is logged with `log` (see the module comment). */
export function logPayloads<In, Out>(service: Service<In, Out>, exercise: string, log: (line: string) => void): Service<In, Out> {
  const sent = (peer: Peer, message: Out): void => {
    log(`${exercise}: sent ${formatPayload(message)} to ${where(peer)}`);
  };
  const wrapped: Service<In, Out> = {
    name: service.name,
    open(peer, ctx) {
      // The session (and, in a chat room, other members' sessions) sends through this context.
      const loggingCtx: SessionContext<Out> = {
        get peer() {
          return ctx.peer;
        },
        get closed() {
          return ctx.closed;
        },
        send(message) {
          const ok = ctx.send(message);
          if (ok) sent(peer, message);
          return ok;
        },
        close: (reason) => {
          ctx.close(reason);
        },
        log: (message) => {
          ctx.log(message);
        },
        now: () => ctx.now(),
      };
      const session = service.open(peer, loggingCtx);
      const replies = (out: readonly Out[]): readonly Out[] => {
        for (const message of out) sent(peer, message);
        return out;
      };
      return {
        receive(message) {
          log(`${exercise}: received ${formatPayload(message)} from ${where(peer)}`);
          const result = session.receive(message);
          return isPromiseLike(result) ? Promise.resolve(result).then(replies) : replies(result);
        },
        ...(session.close === undefined ? {} : { close: session.close.bind(session) }),
      };
    },
  };
  if (service.malformed !== undefined) {
    const malformed = service.malformed.bind(service);
    wrapped.malformed = (error, peer) => {
      const out = malformed(error, peer);
      for (const message of out) sent(peer, message);
      return out;
    };
  }
  return wrapped;
}
