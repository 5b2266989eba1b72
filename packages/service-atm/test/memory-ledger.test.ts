import { createMemoryStoreState, createRequestLog } from '@netlab/request-log';
import { connectLocal } from '@netlab/service';
import { AtmTerminal, describeLedgerConformance } from '@netlab/testing/compliance';
import { describe, expect, it } from 'vitest';
import { createAtmService } from '../src/atm-service.js';
import { generateBankKeySecret } from '../src/bank-key.js';
import { createMemoryAtmLedger } from '../src/memory-ledger.js';
import { ledgerUnderTest } from './ledger-harness.js';

describeLedgerConformance({
  name: 'memory',
  open({ now, sessionIdleMs }) {
    const state = createMemoryStoreState();
    return ledgerUnderTest(
      {
        open: (options) => createMemoryAtmLedger({ ...options, state }),
        dump: () =>
          Promise.resolve([
            ...[...state.clients].map((entry) => JSON.stringify(entry)),
            ...[...state.records].flatMap(([clientId, records]) => [...records].map((entry) => JSON.stringify([clientId, ...entry]))),
            ...[...state.data].map((entry) => JSON.stringify(entry)),
          ]),
      },
      now,
      sessionIdleMs,
    );
  },
});

describe('memory ledger', () => {
  it('refuses a state made with another bank key', async () => {
    const state = createMemoryStoreState();
    await createMemoryAtmLedger({ state, pinHashCost: 4, bankKey: generateBankKeySecret() });
    await expect(createMemoryAtmLedger({ state, pinHashCost: 4, bankKey: generateBankKeySecret() })).rejects.toMatchObject({ code: 'ERR_WRONG_BANK_KEY' });
  });

  it('keeps only the last maxJournalEntries journal entries, while the deposit total and the entry count stay exact', async () => {
    const ledger = await createMemoryAtmLedger({ pinHashCost: 4, maxJournalEntries: 5 });
    const log = createRequestLog({ store: ledger.store, sweepIntervalMs: 0 });
    const atm = new AtmTerminal(connectLocal(createAtmService({ ledger, log })));
    expect(await atm.login('123456789', '1234')).toMatchObject({ code: 'APPROVED' });
    for (let i = 0; i < 20; i++) expect(await atm.op({ op: 'deposit', amount: 100 })).toMatchObject({ code: 'APPROVED' });
    for (let i = 0; i < 20; i++) expect(await atm.op({ op: 'balance' })).toMatchObject({ code: 'APPROVED', balance: 102_000 });
    const kept = [...ledger.store.state.data.keys()].filter((key) => key.startsWith('atm:journal:'));
    expect(kept).toHaveLength(5);
    const audit = await ledger.audit();
    expect(audit).toMatchObject({ journalEntries: 41, deposited: 2_000, balanced: true });
    expect(audit.applied.size).toBe(5);
    await log.close();
  });

  it('unlock clears a locked card\'s wrong-PIN count (the next right PIN is approved) and is false for an unknown card', async () => {
    const ledger = await createMemoryAtmLedger({ pinHashCost: 4 });
    const log = createRequestLog({ store: ledger.store, sweepIntervalMs: 0 });
    const service = createAtmService({ ledger, log });
    for (const pin of ['1111', '2222', '3333']) await new AtmTerminal(connectLocal(service)).login('1000000004', pin);
    expect(await new AtmTerminal(connectLocal(service)).login('1000000004', '1234')).toMatchObject({ code: 'PIN_TRIES_EXCEEDED' });
    expect((await ledger.accounts()).find((a) => a.card === '1000000004')).toMatchObject({ locked: true });
    expect(await ledger.unlock('1000000004')).toBe(true);
    expect((await ledger.accounts()).find((a) => a.card === '1000000004')).toMatchObject({ locked: false });
    expect(await new AtmTerminal(connectLocal(service)).login('1000000004', '1234')).toMatchObject({ code: 'APPROVED' });
    expect(await ledger.unlock('999999999')).toBe(false);
    await log.close();
  });
});
