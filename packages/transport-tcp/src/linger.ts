/**
 * Lingering after a graceful end (internal to `server-connection.ts`): our FIN is sent and the
 * peer may still be reading what waits for it. A peer that read nothing during a linger period
 * is destroyed; one that read some of it (our output shrank) gets another period, up to
 * `MAX_LINGER_PERIODS`. The state lives in the closure, made only for connections that are ending.
 */
import type { Socket } from 'node:net';
import type { Clock } from '@netlab/ground';
import { MAX_LINGER_PERIODS } from './connection-server.js';

/** Destroys `socket` once a linger period passes without progress; `track` gets each timer (undefined once fired). */
export function linger(socket: Socket, clock: Clock, lingerMs: number, track: (timer: unknown) => void): void {
  let mark = socket.writableLength;
  let periods = 0;
  const check = (): void => {
    track(undefined);
    const waiting = socket.writableLength;
    if (waiting > 0 && waiting < mark && periods < MAX_LINGER_PERIODS) {
      periods += 1;
      mark = waiting;
      track(clock.setTimeout(check, lingerMs));
      return;
    }
    socket.destroy();
  };
  track(clock.setTimeout(check, lingerMs));
}
