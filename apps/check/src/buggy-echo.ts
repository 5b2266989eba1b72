/**
 * The small buggy echo server the tour grades (and the e2e tests use), kept as source text so the
 * bundled CLI can write it to a temporary file and run it: the published package has no fixture
 * files next to its bundle.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The server's source: an ES module run as `node buggy-echo.mjs PORT`. */
export const BUGGY_ECHO_SOURCE = `#!/usr/bin/env node
// A small echo server with two classic lab bugs, for the tour of \`netlab check\`:
// it takes one recv() (one 'data' event) as one message, and it serves one client at a time.
// Usage: node buggy-echo.mjs PORT
import net from 'node:net';

const port = Number(process.argv[2]);
let busy = false;
const waiting = [];

function serve(socket) {
  busy = true;
  socket.on('data', (data) => {
    const message = data.toString('utf8').trim();
    if (message.toLowerCase() === 'bye') {
      socket.end('Goodbye\\n');
      return;
    }
    socket.write(\`\${message}\\n\`);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    busy = false;
    const next = waiting.shift();
    if (next !== undefined) serve(next);
  });
}

net
  .createServer((socket) => {
    if (busy) waiting.push(socket);
    else serve(socket);
  })
  .listen(port, '127.0.0.1', () => {
    console.log(\`buggy echo listening on tcp://127.0.0.1:\${port}\`);
  });
`;

/** Writes the buggy echo server to a fresh temporary directory; `remove()` deletes it. */
export function writeBuggyEcho(): { readonly path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-buggy-echo-'));
  const path = join(dir, 'buggy-echo.mjs');
  writeFileSync(path, BUGGY_ECHO_SOURCE);
  return {
    path,
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
