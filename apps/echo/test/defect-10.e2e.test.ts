import { fileURLToPath } from 'node:url';
import { type ExerciseServerProcess, connectRawTcp, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('netlab echo server and lines ending in CR (real process, raw socket)', () => {
  let server: ExerciseServerProcess;
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'echo', 'tcp');
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
  });

  it('defect 10: answers "x\\r\\r\\n" with "x" and keeps the connection for the next line', { timeout: 30_000 }, async () => {
    const peer = await connectRawTcp(server.port);
    peer.write('x\r\r\nafter\n');
    expect(await peer.waitForLines(2)).toEqual(['x', 'after']);
    peer.write('two\rthree\r\n');
    await peer.waitForLines(3);
    expect(peer.text()).toBe('x\nafter\ntwo\rthree\n');
    peer.destroy();
    expect(server.proc.stderr()).not.toMatch(/cannot encode/u);
  });
});
