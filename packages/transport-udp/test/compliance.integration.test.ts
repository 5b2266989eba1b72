import { createDatagramCodec, createTextCodec } from '@netlab/codec';
import { describeTransportCompliance } from '@netlab/testing/compliance';
import { createUdpClient, createUdpServer } from '../src/index.js';

// One message per datagram: the limit is the datagram size; the client may send twice as much.
describeTransportCompliance('udp (one text message per datagram)', {
  async startServer(service, limits) {
    const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: limits.maxMessageBytes });
    const server = createUdpServer({ codec, service });
    const address = await server.listen();
    return { host: address.host, port: address.port, close: (graceMs) => server.close({ graceMs }) };
  },
  async connect(server, limits) {
    const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: limits.maxMessageBytes * 2 });
    const client = await createUdpClient({ codec, host: server.host, port: server.port, retries: 0 });
    return { request: (message, timeoutMs) => client.request(message, { timeoutMs }), close: () => client.close() };
  },
});
