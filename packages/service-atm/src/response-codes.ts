/**
 * The bank's response codes: the one table every reply's `code` comes from. Stable API (scripts
 * match on them; the scripted client prints them after `DECLINED`). Where ISO 8583 (field 39,
 * 1987 version) has an equivalent, it is given for readers who know the standard.
 */
export const RESPONSE_CODES = {
  APPROVED: { iso: '00', message: 'approved' },
  UNKNOWN_CARD: { iso: '14', message: 'no account for this card number' },
  INCORRECT_PIN: { iso: '55', message: 'incorrect PIN' },
  PIN_TRIES_EXCEEDED: { iso: '75', message: 'PIN tries exceeded: the card is locked' },
  INVALID_AMOUNT: { iso: '13', message: 'invalid amount' },
  INSUFFICIENT_FUNDS: { iso: '51', message: 'insufficient funds' },
  LIMIT_EXCEEDED: { iso: '61', message: 'amount exceeds the limit' },
  UNKNOWN_SESSION: { iso: '', message: 'unknown session: log in first' },
  SESSION_EXPIRED: { iso: '', message: 'session expired: log in again' },
  UNKNOWN_WITHDRAWAL: { iso: '25', message: 'no such withdrawal' },
  WITHDRAWAL_REVERSED: { iso: '', message: 'the withdrawal was reversed' },
  WITHDRAWAL_COMPLETED: { iso: '', message: 'the withdrawal was already completed (cash dispensed)' },
  DUPLICATE_TRANSACTION: { iso: '94', message: 'withdrawal id already used' },
  NOT_PERMITTED: { iso: '58', message: 'not permitted: the withdrawal was authorized by another session' },
  INVALID_REQUEST: { iso: '30', message: 'invalid request' },
} as const;

export type ResponseCode = keyof typeof RESPONSE_CODES;

/** Every response code, in table order. */
export const RESPONSE_CODE_NAMES: readonly ResponseCode[] = Object.keys(RESPONSE_CODES) as ResponseCode[];

/** True for `APPROVED`. */
export function isApproved(code: ResponseCode): boolean {
  return code === 'APPROVED';
}
