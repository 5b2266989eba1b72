/**
 * Fault injection for a message or byte stream given as an async iterable: what the consumer
 * reads is what a TCP peer behind the fault proxy would read. Chunks come out in order; a
 * `reset_peer` makes iteration throw ERR_CONNECTION_RESET, a `timeout` or `limit_data` ends it early.
 *
 * Bounded: the source is only read while fewer than `highWaterMark` bytes wait in the model, and the
 * model only delivers while fewer than `highWaterMark` bytes wait for the consumer, so at most about
 * 2 × `highWaterMark` bytes (plus one chunk) are held: a slow consumer slows the source.
 */
import { FaultError } from './errors.js';
import { type StreamFaults, type StreamFaultsOptions, createStreamFaults } from './stream-faults.js';
import { DEFAULT_HIGH_WATER_MARK } from './stream-impairments.js';

export type StreamIterableOptions = Omit<StreamFaultsOptions, 'sink' | 'onDrain'>;

/** Reads `source` through the toxiproxy impairments; see {@link StreamIterableOptions}. */
export async function* withStreamFaults(
  source: AsyncIterable<Uint8Array>,
  options: StreamIterableOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const out: Uint8Array[] = [];
  let outBytes = 0;
  let outcome: 'end' | 'close' | 'reset' | undefined;
  let failure: { readonly error: unknown } | undefined;
  // Read through a function: the sink sets it from callbacks, which narrowing cannot see.
  const settled = (): boolean => outcome !== undefined;
  let wake: (() => void) | undefined;
  let sourceWake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const notifySource = (): void => {
    const w = sourceWake;
    sourceWake = undefined;
    w?.();
  };
  const faults: StreamFaults = createStreamFaults({
    ...options,
    onDrain: notifySource,
    sink: {
      write(bytes) {
        out.push(bytes);
        outBytes += bytes.length;
        notify();
        return outBytes < highWaterMark;
      },
      end() {
        outcome = 'end';
        notify();
      },
      close() {
        outcome = 'close';
        notify();
      },
      reset() {
        outcome = 'reset';
        notify();
      },
    },
  });
  const iterator = source[Symbol.asyncIterator]();
  let stopped = false;
  const isStopped = (): boolean => stopped;
  const reader = (async () => {
    try {
      while (!isStopped() && !settled()) {
        const next = await iterator.next();
        if (next.done === true) break;
        if (!faults.write(next.value)) await new Promise<void>((resolve) => (sourceWake = resolve));
      }
      faults.end();
    } catch (error) {
      failure = { error };
      notify();
    }
  })();
  try {
    for (;;) {
      const chunk = out.shift();
      if (chunk !== undefined) {
        outBytes -= chunk.length;
        faults.drained();
        yield chunk;
        continue;
      }
      if (failure !== undefined) throw failure.error;
      if (outcome === 'reset') throw new FaultError('ERR_CONNECTION_RESET', 'connection reset by the fault injector (reset_peer)');
      if (outcome !== undefined) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stopped = true;
    faults.destroy();
    notifySource();
    if (outcome !== undefined || failure !== undefined) await iterator.return?.();
    await reader.catch(() => undefined);
  }
}
