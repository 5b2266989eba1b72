/**
 * The few ASN.1 DER encoders an X.509 certificate needs (ITU-T X.690), written by hand so that
 * `--tls self-signed` needs neither openssl nor a third-party package.
 *
 * Every value is tag, length, contents. Lengths below 128 are one byte; longer ones are 0x80 + n
 * followed by n big-endian bytes (definite form only, as DER requires). Integers are two's
 * complement with no redundant leading byte; this module only encodes non-negative ones. Each
 * encoder returns a fresh `Uint8Array` that the caller owns; nothing is shared or reused.
 */

/** Tag numbers used by X.509 (universal class). */
export const DER_TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The DER length octets of a value of `length` bytes. */
export function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One tag-length-value with `tag` (a full identifier octet: class, constructed bit, number). */
export function derTlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  const body = concat(contents);
  return concat([Uint8Array.of(tag), derLength(body.length), body]);
}

export const derSequence = (...items: readonly Uint8Array[]): Uint8Array => derTlv(DER_TAG.sequence, ...items);
export const derSet = (...items: readonly Uint8Array[]): Uint8Array => derTlv(DER_TAG.set, ...items);

/** An explicitly tagged value: `[n] EXPLICIT` (context class, constructed). */
export const derExplicit = (n: number, inner: Uint8Array): Uint8Array => derTlv(0xa0 | n, inner);

/** A context-class primitive value: `[n] IMPLICIT` of a primitive type (GeneralName choices). */
export const derImplicit = (n: number, contents: Uint8Array): Uint8Array => derTlv(0x80 | n, contents);

export const derBoolean = (value: boolean): Uint8Array => derTlv(DER_TAG.boolean, Uint8Array.of(value ? 0xff : 0x00));

/** A non-negative INTEGER from its big-endian magnitude bytes (leading zeros dropped, a 0x00 added when the top bit is set). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  const trimmed = magnitude.subarray(start);
  const first = trimmed[0] ?? 0;
  return first >= 0x80 ? derTlv(DER_TAG.integer, Uint8Array.of(0), trimmed) : derTlv(DER_TAG.integer, trimmed.length === 0 ? Uint8Array.of(0) : trimmed);
}

export const derSmallInteger = (value: number): Uint8Array => {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return derUnsignedInteger(Uint8Array.from(bytes));
};

/** An OBJECT IDENTIFIER from its dotted form (`1.2.840.10045.4.3.2`). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) groups.unshift(0x80 | (value % 128));
    bytes.push(...groups);
  }
  return derTlv(DER_TAG.oid, Uint8Array.from(bytes));
}

export const derUtf8String = (text: string): Uint8Array => derTlv(DER_TAG.utf8String, new TextEncoder().encode(text));
export const derOctetString = (bytes: Uint8Array): Uint8Array => derTlv(DER_TAG.octetString, bytes);

/** A BIT STRING of whole bytes (0 unused bits), as signatures and keys are. */
export const derBitString = (bytes: Uint8Array): Uint8Array => derTlv(DER_TAG.bitString, Uint8Array.of(0), bytes);

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * An X.509 `Time` (RFC 5280 §4.1.2.5): UTCTime `YYMMDDHHMMSSZ` for the years 1950 to 2049,
 * GeneralizedTime `YYYYMMDDHHMMSSZ` otherwise; always UTC, whole seconds.
 */
export function derTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
  return year >= 1950 && year < 2050
    ? derTlv(DER_TAG.utcTime, ascii(`${two(year % 100)}${rest}`))
    : derTlv(DER_TAG.generalizedTime, ascii(`${String(year).padStart(4, '0')}${rest}`));
}
