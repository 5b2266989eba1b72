export { ATM_ERROR_CODES, AtmError, isAtmError } from './errors.js';
export type { AtmErrorCode, AtmErrorOptions } from './errors.js';
export { RESPONSE_CODES, RESPONSE_CODE_NAMES, isApproved } from './response-codes.js';
export type { ResponseCode } from './response-codes.js';
export { MAX_AMOUNT_MINOR, MINOR_PER_UNIT, formatAmount, isValidMinorAmount, parseAmount } from './amount.js';
export type { AmountProblem, ParsedAmount } from './amount.js';
export { BANK_KEY_BYTES, createBankKey, generateBankKeySecret, parseBankKeySecret } from './bank-key.js';
export type { BankKey } from './bank-key.js';
export {
  CARD_PATTERN,
  DEFAULT_PIN_HASH_COST,
  MAX_PIN_HASH_COST,
  MAX_PIN_TRIES,
  MIN_PIN_HASH_COST,
  PIN_BLOCK_KEY,
  PIN_BLOCK_PATTERN,
  PIN_PATTERN,
  createPinBlock,
  hashPinBlock,
  hashPinCandidate,
  isLegacyPinHash,
  isPinBlock,
  isValidCardNumber,
  isValidPin,
  pepperLegacyPinHash,
  pinHashMatches,
} from './pin.js';
export { SESSION_TOKEN_LENGTH, SESSION_TOKEN_PATTERN, isSessionTokenOf, issueSessionToken, sessionKeyOf } from './session-credentials.js';
export { loginProof } from './login-proof.js';
export {
  KEY_EXCHANGE_BYTES,
  KEY_EXCHANGE_GROUP,
  KEY_EXCHANGE_PUBLIC_PATTERN,
  createKeyExchange,
  isKeyExchangePublic,
  unwrapSessionKey,
  wrapSessionKey,
} from './key-exchange.js';
export type { KeyExchange } from './key-exchange.js';
export {
  ATM_OPERATIONS,
  MAX_HOLDER_LENGTH,
  MAX_SESSION_TOKEN_LENGTH,
  MAX_WITHDRAWAL_ID_LENGTH,
  WITHDRAWAL_ID_PATTERN,
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
  rowsNeeded,
} from './ledger-core.js';
export type {
  AccountRow,
  JournalEntry,
  LedgerChanges,
  LedgerLimits,
  LoadedRows,
  NewSession,
  OperationContext,
  OperationOutcome,
  SessionRow,
  WithdrawalRow,
  WithdrawalStatus,
} from './ledger-core.js';
export { resolveLimits } from './limits.js';
export { assembleAudit, checkBooks } from './audit.js';
export type { AuditFigures, BooksCheck, CheckBooksOptions } from './audit.js';
export type { AccountSummary, AtmLedger, LedgerAudit, LedgerOptions, PreparedRequest } from './ledger.js';
export { DEFAULT_MAX_JOURNAL_ENTRIES, createMemoryAtmLedger } from './memory-ledger.js';
export type { MemoryLedger, MemoryLedgerOptions } from './memory-ledger.js';
export { DEFAULT_MAX_RATE_LIMITED_PEERS, DEFAULT_PEER_RATE_LIMIT, DEFAULT_TOTAL_RATE_LIMIT, createRateLimiter } from './rate-limiter.js';
export type { RateLimit, RateLimiter, RateLimiterOptions } from './rate-limiter.js';
export { createAtmService } from './atm-service.js';
export type { AtmServiceOptions } from './atm-service.js';
export { createAtmClient } from './atm-client.js';
export type { AtmChannel, AtmClient, AtmClientOptions, WithdrawalResult } from './atm-client.js';
export { DEFAULT_MAX_CHANNELS, createAtmChannels } from './atm-channels.js';
export type { AtmChannels, AtmChannelsOptions, OpenAtmChannel } from './atm-channels.js';
