/**
 * The link over UDP: one plain datagram peer (`connectUdp` of `@netlab/transport-udp`: send and
 * async iteration, no retries of its own) per endpoint. Each request is one datagram; lost,
 * duplicated and late datagrams are covered by the client's retransmission and by ignoring
 * replies that resolve nothing. "Port unreachable" (a server down) does not close a peer: the
 * reader notes it and reads on, and retransmission covers the lost requests. A peer that could
 * not be opened (host not found) is opened again on the next send to that endpoint, at most one
 * attempt at a time.
 */
import { type UdpPeer, connectUdp, isUdpError } from '@netlab/transport-udp';
import type { ReplyEnvelope, RequestEnvelope } from '../core/messages.js';
import { createClientDatagramCodec } from '../wire-codec.js';
import type { LinkEndpoint, LinkTransport, LinkTransportHooks } from './link-transport.js';

export interface UdpLinkTransportOptions {
  readonly endpoints: readonly LinkEndpoint[];
  readonly hooks: LinkTransportHooks;
}

interface Slot {
  peer: UdpPeer<ReplyEnvelope, RequestEnvelope> | undefined;
  opening: boolean;
}

export function createUdpLinkTransport(options: UdpLinkTransportOptions): LinkTransport {
  const { hooks, endpoints } = options;
  const codec = createClientDatagramCodec();
  const slots: Slot[] = endpoints.map(() => ({ peer: undefined, opening: false }));
  const state = { closed: false };

  const read = async (peer: UdpPeer<ReplyEnvelope, RequestEnvelope>, index: number): Promise<void> => {
    while (!peer.closed) {
      try {
        for await (const { message } of peer) hooks.receive(message, index);
      } catch {
        // ERR_CONNECTION_REFUSED: one report per ICMP message; the peer stays open, read on.
      }
    }
  };

  const open = (index: number): void => {
    const slot = slots[index];
    const endpoint = endpoints[index];
    if (slot === undefined || endpoint === undefined || slot.peer !== undefined || slot.opening || state.closed) return;
    slot.opening = true;
    connectUdp({ codec, host: endpoint.host, port: endpoint.port }).then(
      (peer) => {
        slot.opening = false;
        if (state.closed) {
          void peer.close();
          return;
        }
        slot.peer = peer;
        void read(peer, index);
        hooks.ready(index);
      },
      () => {
        slot.opening = false; // opened again by the next send to this endpoint
      },
    );
  };

  endpoints.forEach((_, index) => {
    open(index);
  });
  return {
    send(index, request) {
      const peer = slots[index]?.peer;
      if (peer === undefined) {
        open(index);
        return false;
      }
      try {
        peer.send(request);
      } catch (error) {
        if (isUdpError(error, 'ERR_CONNECTION_CLOSED')) return false; // closing: not sent
        throw error; // ERR_ENCODE: the request cannot be one datagram, and never will be
      }
      return true;
    },
    async close() {
      state.closed = true;
      await Promise.all(slots.flatMap((slot) => (slot.peer === undefined ? [] : [slot.peer.close()])));
    },
  };
}
