export { DATETIME_ERROR_CODES, DatetimeError } from './errors.js';
export type { DatetimeErrorCode } from './errors.js';
export { createDateTimeFormatter } from './date-time-formatter.js';
export type { DateTimeFormatter, DateTimeFormatterOptions } from './date-time-formatter.js';
export { DEFAULT_UTC, createDatetimeService } from './datetime-service.js';
export type { DatetimeServiceOptions } from './datetime-service.js';
