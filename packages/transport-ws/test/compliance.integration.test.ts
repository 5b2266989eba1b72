import { createTextCodec } from '@netlab/codec';
import { describeTransportCompliance } from '@netlab/testing/compliance';
import { connectWs, createWsMessageCodec, createWsServer, createWsTextCodec } from '../src/index.js';

// One line per text frame: the limit is the line length; the client may send lines twice as long.
describeTransportCompliance('ws (one text line per frame)', {
  async startServer(service, limits) {
    const server = createWsServer({ codec: createWsTextCodec({ maxMessageBytes: limits.maxMessageBytes }), service });
    const address = await server.listen();
    return { host: address.host, port: address.port, close: (graceMs) => server.close({ graceMs }) };
  },
  async connect(server, limits) {
    const client = await connectWs({ url: `ws://${server.host}:${server.port}/`, codec: createWsTextCodec({ maxMessageBytes: limits.maxMessageBytes * 2 }) });
    return { request: (message, timeoutMs) => client.request(message, { timeoutMs }), close: () => client.close() };
  },
});

// One message per binary frame (the framed protocols' shape; the limit is the payload size).
describeTransportCompliance('ws (one binary message per frame)', {
  async startServer(service, limits) {
    const server = createWsServer({ codec: createWsMessageCodec(createTextCodec(), undefined, { maxMessageBytes: limits.maxMessageBytes }), service });
    const address = await server.listen();
    return { host: address.host, port: address.port, close: (graceMs) => server.close({ graceMs }) };
  },
  async connect(server, limits) {
    const codec = createWsMessageCodec(createTextCodec(), undefined, { maxMessageBytes: limits.maxMessageBytes * 2 });
    const client = await connectWs({ url: `ws://${server.host}:${server.port}/`, codec });
    return { request: (message, timeoutMs) => client.request(message, { timeoutMs }), close: () => client.close() };
  },
});
