export { ATM_ERROR_CODES, AtmError, isAtmError } from './errors.js';
export type { AtmErrorCode, AtmErrorOptions } from './errors.js';
export { RESPONSE_CODES, RESPONSE_CODE_NAMES, isApproved } from './response-codes.js';
export type { ResponseCode } from './response-codes.js';
export { MAX_AMOUNT_MINOR, MINOR_PER_UNIT, formatAmount, isValidMinorAmount, parseAmount } from './amount.js';
export type { AmountProblem, ParsedAmount } from './amount.js';
export {
  DEFAULT_PIN_HASH_COST,
  MAX_PIN_HASH_COST,
  MAX_PIN_TRIES,
  MIN_PIN_HASH_COST,
  createPinBlock,
  hashPinBlock,
  hashPinCandidate,
  isPinBlock,
  isValidCardNumber,
  isValidPin,
  pinHashMatches,
} from './pin.js';
export {
  ATM_OPERATIONS,
  MAX_HOLDER_LENGTH,
  MAX_SESSION_TOKEN_LENGTH,
  MAX_WITHDRAWAL_ID_LENGTH,
  atmReplySchema,
  atmRequestSchema,
  parseAtmRequest,
} from './messages.js';
export type { AtmOperation, AtmReply, AtmRequest } from './messages.js';
export { DEMO_ACCOUNTS } from './demo-accounts.js';
export type { SeedAccount } from './demo-accounts.js';
export {
  DEFAULT_DEPOSIT_LIMIT,
  DEFAULT_LEDGER_LIMITS,
  DEFAULT_MAX_BALANCE,
  DEFAULT_SESSION_IDLE_MS,
  DEFAULT_WITHDRAWAL_LIMIT,
  decideOperation,
  invalidRequestOutcome,
  rowsNeeded,
} from './ledger-core.js';
export type {
  AccountRow,
  JournalEntry,
  LedgerChanges,
  LedgerLimits,
  LoadedRows,
  OperationContext,
  OperationOutcome,
  SessionRow,
  WithdrawalRow,
  WithdrawalStatus,
} from './ledger-core.js';
export type { AccountSummary, AtmLedger, LedgerAudit, LedgerOptions, PreparedRequest } from './ledger.js';
export { createMemoryAtmLedger } from './memory-ledger.js';
export type { MemoryLedger, MemoryLedgerOptions } from './memory-ledger.js';
export { createAtmService } from './atm-service.js';
export type { AtmServiceOptions } from './atm-service.js';
export { createAtmClient } from './atm-client.js';
export type { AtmClient, AtmClientOptions, WithdrawalResult } from './atm-client.js';
