// Frame the bytes of a real TCP socket into lines with @netlab/codec.
// Run: node --import tsx packages/codec/examples/tcp-lines.ts
import { connect, createServer } from 'node:net';
import { createLineDecoder, encodeLine, pushChunk } from '@netlab/codec';

const server = createServer((socket) => {
  const lines = createLineDecoder({ maxLineBytes: 1024 });
  socket.on('data', (chunk) => {
    // TCP may cut anywhere, even inside "ü": the decoder reassembles whole lines.
    const { messages, error } = pushChunk(lines, chunk);
    for (const line of messages) socket.write(encodeLine(line.toUpperCase()));
    if (error !== undefined) socket.end(encodeLine(`ERROR ${error.code}`));
  });
  socket.on('end', () => socket.end());
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  const replies = createLineDecoder();
  client.on('data', (chunk) => {
    for (const line of replies.push(chunk)) console.log(`reply: ${line}`);
  });
  client.on('close', () => server.close());
  // Two lines sent as three awkward chunks: the cut falls inside the two bytes of "ü".
  const bytes = Buffer.from('grüß dich\r\nbye\n');
  client.write(bytes.subarray(0, 3));
  setTimeout(() => client.write(bytes.subarray(3, 12)), 20);
  setTimeout(() => client.end(bytes.subarray(12)), 40);
});
