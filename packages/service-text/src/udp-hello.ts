/**
 * udp-hello (UDP): every datagram is answered `Ok`.
 *
 * Wire format: one message per datagram; the content is not interpreted, so even a datagram the
 * codec rejects (too large, invalid UTF-8) is acknowledged with `Ok`: the lab's point is that the
 * server saw it. Stateless: nothing is kept between datagrams.
 */
import type { Service, Session } from '@netlab/service';
import { assertLineOption } from './errors.js';

/** The answer to every datagram. */
export const DEFAULT_HELLO_REPLY = 'Ok';

export interface UdpHelloServiceOptions {
  /** Sent in answer to every datagram (no CR or LF). Default {@link DEFAULT_HELLO_REPLY}. */
  readonly reply?: string;
}

/** Creates the udp-hello service. */
export function createUdpHelloService(options: UdpHelloServiceOptions = {}): Service<string, string> {
  const reply = options.reply ?? DEFAULT_HELLO_REPLY;
  assertLineOption('reply', reply);
  return {
    name: 'udp-hello',
    open(): Session<string, string> {
      return { receive: () => [reply] };
    },
    malformed: () => [reply],
  };
}
