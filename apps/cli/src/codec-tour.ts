import type { TourPart } from '@netlab/exercise-kit';
import { createLengthPrefixedDecoder, createLineDecoder, encodeLengthPrefixed, encodeUtf8, pushChunk } from '@netlab/codec';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)/g, '$1 ').trim();

/** Shows the codec reassembling messages from awkward TCP-style chunks. */
export const codecTourPart: TourPart = {
  name: 'codec',
  title: 'framing bytes without losing one',
  run(ctx) {
    const bytes = encodeUtf8('grüß dich\r\nzweite Zeile\n');
    // Cut inside the two-byte "ü" and inside "\r\n", as a TCP segment boundary might.
    const cuts = [bytes.subarray(0, 3), bytes.subarray(3, 11), bytes.subarray(11, 16), bytes.subarray(16)];
    const lines = createLineDecoder();
    for (const chunk of cuts) {
      ctx.say('chunk', hex(chunk));
      for (const line of lines.push(chunk)) ctx.say('line', JSON.stringify(line));
    }
    const frames = createLengthPrefixedDecoder({ maxFrameBytes: 16 });
    const wire = new Uint8Array([...encodeLengthPrefixed(encodeUtf8('ok'), { maxFrameBytes: 16 }), 0, 0, 1, 0]);
    ctx.say('chunk', hex(wire));
    const { messages, error } = pushChunk(frames, wire);
    for (const frame of messages) ctx.say('frame', JSON.stringify(new TextDecoder().decode(frame)));
    if (error !== undefined) ctx.say('error', `${error.code}: ${error.message}`);
    return Promise.resolve();
  },
};
