import { createLineCodec } from '@netlab/codec';
import { describeTransportCompliance } from '@netlab/testing/compliance';
import { connectTcp, createSelfSignedCertificate, createTcpServer } from '../src/index.js';

// Line framing: the limit is the line length; the client may send lines twice as long.
describeTransportCompliance('tcp (line framing)', {
  async startServer(service, limits) {
    const server = createTcpServer({ codec: createLineCodec({ maxLineBytes: limits.maxMessageBytes }), service });
    const address = await server.listen();
    return { host: address.host, port: address.port, close: (graceMs) => server.close({ graceMs }) };
  },
  async connect(server, limits) {
    const client = await connectTcp({ codec: createLineCodec({ maxLineBytes: limits.maxMessageBytes * 2 }), host: server.host, port: server.port });
    return { request: (message, timeoutMs) => client.request(message, { timeoutMs }), close: () => client.close() };
  },
});

// The same suite over TLS: the certificate is made once, trusted by the client as its CA.
const certificate = createSelfSignedCertificate();
describeTransportCompliance('tcp over TLS (line framing)', {
  async startServer(service, limits) {
    const server = createTcpServer({ codec: createLineCodec({ maxLineBytes: limits.maxMessageBytes }), service, tls: { cert: certificate.cert, key: certificate.key } });
    const address = await server.listen();
    return { host: address.host, port: address.port, close: (graceMs) => server.close({ graceMs }) };
  },
  async connect(server, limits) {
    const client = await connectTcp({ codec: createLineCodec({ maxLineBytes: limits.maxMessageBytes * 2 }), host: server.host, port: server.port, tls: { ca: certificate.cert } });
    return { request: (message, timeoutMs) => client.request(message, { timeoutMs }), close: () => client.close() };
  },
});
