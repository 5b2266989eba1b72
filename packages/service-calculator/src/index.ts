export { CALCULATOR_ERROR_CODES, CalculatorError } from './errors.js';
export type { CalculatorErrorCode } from './errors.js';
export {
  addDecimal,
  divideDecimal,
  formatDecimal,
  multiplyDecimal,
  normalizeDecimal,
  rationalToDecimal,
  remainderDecimal,
  subtractDecimal,
} from './decimal.js';
export type { Decimal } from './decimal.js';
export {
  DEFAULT_MAX_OPERAND_DIGITS,
  DEFAULT_MAX_RESULT_DIGITS,
  DEFAULT_SIGNIFICANT_DIGITS,
  calculate,
  evaluateExpression,
  parseExpression,
} from './expression.js';
export type { CalculationResult, Expression, ExpressionOptions, Operator } from './expression.js';
export { DEFAULT_MAX_NAME_LENGTH, checkName, createCalculatorService } from './calculator-service.js';
export type { CalculatorServiceOptions } from './calculator-service.js';
