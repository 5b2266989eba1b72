import { describe, expect, it } from 'vitest';
import { type RequestEnvelope, createClientChannels, isRequestLogError, successBody } from '../src/index.js';

describe('createClientChannels', () => {
  it('routes each reply to the channel whose client id it names', async () => {
    const sent: RequestEnvelope[] = [];
    const channels = createClientChannels({ send: (request) => sent.push(request) });
    const [a, b] = [channels.connect(), channels.connect()];
    const results = [a.call({ to: 'a' }), b.call({ to: 'b' })];
    expect(sent.map((request) => request.clientId)).toEqual([a.client.clientId, b.client.clientId]);
    for (const request of [...sent].reverse()) {
      channels.receive({ kind: 'reply', clientId: request.clientId, seq: request.seq, status: 'done', replay: false, body: successBody(request.payload) });
    }
    await expect(Promise.all(results)).resolves.toEqual([{ to: 'a' }, { to: 'b' }]);
    channels.receive({ kind: 'reply', clientId: 'nobody', seq: 1, status: 'done', replay: false, body: successBody(null) });
    channels.close();
  });

  it('keeps at most maxChannels open: one more closes the oldest, whose calls reject with ERR_CLOSED', async () => {
    const channels = createClientChannels({ send: () => undefined, maxChannels: 2 });
    const oldest = channels.connect();
    const pending = oldest.call({ n: 1 }).catch((error: unknown) => error);
    channels.connect();
    expect(channels.open).toHaveLength(2);
    channels.connect();
    expect(channels.open).toHaveLength(2);
    expect(channels.open).not.toContain(oldest);
    expect(isRequestLogError(await pending, 'ERR_CLOSED')).toBe(true);
    channels.close();
    expect(channels.open).toHaveLength(0);
  });

  it('refuses maxChannels outside 1 to 1,000 with ERR_INVALID_OPTION', () => {
    expect(() => createClientChannels({ send: () => undefined, maxChannels: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createClientChannels({ send: () => undefined, maxChannels: 1_001 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
