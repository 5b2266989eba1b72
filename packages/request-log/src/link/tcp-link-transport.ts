/**
 * The link over TCP: one `createReconnectingTcpClient` of `@netlab/transport-tcp` per endpoint,
 * each reconnecting with backoff for the link's life. Requests go only to the connection the link
 * names; what arrives on any connection is fed back (a late reply from a replica the link left
 * still resolves its request).
 */
import { type ReconnectingTcpClient, type TcpClientTlsOptions, type TcpError, createReconnectingTcpClient } from '@netlab/transport-tcp';
import type { BackoffOptions, Clock } from '@netlab/ground';
import type { ReplyEnvelope, RequestEnvelope } from '../core/messages.js';
import { createClientStreamCodec } from '../wire-codec.js';
import type { LinkEndpoint, LinkTransport, LinkTransportHooks } from './link-transport.js';

export interface TcpLinkTransportOptions {
  readonly endpoints: readonly LinkEndpoint[];
  readonly hooks: LinkTransportHooks;
  readonly reconnect: BackoffOptions;
  readonly clock: Clock;
  /** Speak TLS with these options (`--tls` flags). Default: plain TCP. */
  readonly tls?: TcpClientTlsOptions;
}

export function createTcpLinkTransport(options: TcpLinkTransportOptions): LinkTransport {
  const { hooks } = options;
  let lastConnectError: TcpError | undefined;
  const connections: ReconnectingTcpClient<ReplyEnvelope, RequestEnvelope>[] = options.endpoints.map((endpoint, index) =>
    createReconnectingTcpClient({
      codec: createClientStreamCodec(),
      host: endpoint.host,
      port: endpoint.port,
      backoff: options.reconnect,
      clock: options.clock,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      onEvent: (event) => {
        if (event.type === 'retry' || event.type === 'gave-up') lastConnectError = event.error;
        if (event.type === 'connected') lastConnectError = undefined;
        if (event.type === 'connected') hooks.ready(index);
        else if (event.type === 'disconnected') hooks.lost(index);
      },
    }),
  );
  connections.forEach((connection, index) => {
    void (async () => {
      for await (const reply of connection) hooks.receive(reply, index);
    })().catch(() => undefined); // the connection gave up or closed: retransmission and failover cover it
  });
  return {
    send(index, request) {
      const connection = connections[index];
      if (connection?.connected !== true) return false;
      connection.send(request);
      return true;
    },
    connectError: () => lastConnectError,
    async close() {
      await Promise.all(connections.map((connection) => connection.close()));
    },
  };
}
