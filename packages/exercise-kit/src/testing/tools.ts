/**
 * Outside tools in end-to-end tests (openssl, tshark): run one to completion, or keep a live
 * capture running while a test talks. Every wait is bounded; every process is ended by its PID.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** True when `command` is on PATH (`command -v`). */
export function hasTool(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs `command` with `input` on stdin; rejects (after SIGKILL) when it takes longer than
 * `timeoutMs`. With `until`, the tool is ended (SIGTERM) as soon as its stdout contains that text:
 * for tools that never exit by themselves (`openssl s_client` against a server that keeps the
 * connection open).
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs?: number; readonly until?: string } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (options.until !== undefined && stdout.includes(options.until)) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** A running `tshark` capture. */
export interface LiveCapture {
  readonly file: string;
  /**
   * Resolves once the file holds at least `count` packets matching the display filter (libpcap
   * hands packets over in blocks, so the file lags the wire); rejects after `timeoutMs`.
   */
  waitFor(displayFilter: string, count: number, timeoutMs?: number): Promise<void>;
  /** Stops the capture (SIGINT, so tshark writes what it has) and resolves once it exited. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `tshark -i lo -f "tcp port PORT" -w FILE` and resolves once it says it is capturing.
 * Needs root or the capture capabilities; the caller checks (and skips with a reason) first.
 */
export function startLoopbackCapture(port: number, file: string, timeoutMs = 30_000): Promise<LiveCapture> {
  const child: ChildProcessWithoutNullStreams = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('close', () => {
      exited = true;
      resolve();
    });
  });
  const capture: LiveCapture = {
    file,
    async waitFor(displayFilter, count, waitTimeoutMs = 30_000) {
      const deadline = Date.now() + waitTimeoutMs;
      for (;;) {
        const result = await runTool('tshark', ['-r', file, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'], { timeoutMs: waitTimeoutMs });
        const seen = result.stdout.split('\n').filter((line) => line !== '').length;
        if (seen >= count) return;
        if (Date.now() > deadline) throw new Error(`the capture holds ${seen} packets matching ${displayFilter}, not ${count}, after ${waitTimeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(stopTimeoutMs = 15_000) {
      if (exited) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exit;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tshark did not start capturing within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (stderr.includes('Capturing on')) {
        clearTimeout(timer);
        resolve(capture);
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`tshark exited before capturing: ${stderr}`));
    });
  });
}
