import { createMemoryStoreState } from '@netlab/request-log';
import { createMemoryAtmLedger } from '../src/memory-ledger.js';
import { type LedgerHandle, TEST_ACCOUNTS, TEST_PIN_COST, describeLedgerConformance } from './ledger-conformance.js';
import type { MemoryEffect } from '@netlab/request-log';

describeLedgerConformance<MemoryEffect>({
  name: 'memory',
  async open({ sessionIdleMs }) {
    const state = createMemoryStoreState();
    const limits = sessionIdleMs === undefined ? {} : { sessionIdleMs };
    const make = async (): Promise<LedgerHandle<MemoryEffect>> => {
      const ledger = await createMemoryAtmLedger({ state, accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST, limits });
      return { ledger, reopen: make, close: () => ledger.close() };
    };
    return make();
  },
});
