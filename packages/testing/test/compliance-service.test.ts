import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { createComplianceService } from '../src/compliance/compliance-service.js';

describe('createComplianceService', () => {
  it('echoes, counts per session and records one close per session', async () => {
    const service = createComplianceService();
    const a = connectLocal(service);
    const b = connectLocal(service);
    expect(await a.send('hi')).toEqual(['hi']);
    expect(await a.send('count')).toEqual(['2']);
    expect(await b.send('count')).toEqual(['1']);
    a.close();
    b.close();
    expect(service.opened.map((p) => p.id)).toEqual([a.peer.id, b.peer.id]);
    expect(service.closes.get(a.peer.id)).toEqual([{ kind: 'remote' }]);
  });

  it('answers rejected input with ERR and the error code', () => {
    const service = createComplianceService();
    const peer = { transport: 'local' as const, address: 'local', port: 0, id: 'x' };
    expect(service.malformed?.(Object.assign(new Error('too long'), { code: 'ERR_LINE_TOO_LONG' }), peer)).toEqual(['ERR ERR_LINE_TOO_LONG']);
  });

  it('replies to slow:<ms> after the delay', async () => {
    const connection = connectLocal(createComplianceService());
    const started = Date.now();
    expect(await connection.send('slow:30')).toEqual(['slow:30']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
