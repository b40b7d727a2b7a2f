// Leaf value conversions shared by the plan builders: integer literals (exact; bigint
// only where a number cannot hold them), floats, and byte strings.

export type IntegerType = 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64';

export const INTEGER_RANGES: Readonly<Record<IntegerType, readonly [min: bigint, max: bigint]>> = {
  i8: [-(2n ** 7n), 2n ** 7n - 1n],
  i16: [-(2n ** 15n), 2n ** 15n - 1n],
  i32: [-(2n ** 31n), 2n ** 31n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
  u8: [0n, 2n ** 8n - 1n],
  u16: [0n, 2n ** 16n - 1n],
  u32: [0n, 2n ** 32n - 1n],
  u64: [0n, 2n ** 64n - 1n],
};

/** Integers up to this magnitude are exact as numbers; beyond it they are carried as bigint. */
const EXACT_NUMBER_LIMIT = 2n ** 53n;

/**
 * The value of an integer literal (decimal, or a Nodix `0x` literal): a number when its
 * magnitude is at most 2^53, else a bigint.
 */
export function integerValue(text: string): number | bigint {
  // 15 characters ("-" and 14 digits, or "0x" and 13 hex digits) stay below 2^53, so
  // Number() is exact and the common case needs no bigint.
  if (text.length <= 15) {
    const value = Number(text);
    return value === 0 ? 0 : value; // "-0" is the integer 0
  }
  const value = BigInt(text);
  return value >= -EXACT_NUMBER_LIMIT && value <= EXACT_NUMBER_LIMIT ? Number(value) : value;
}

export function fitsInteger(value: number | bigint, type: IntegerType): boolean {
  const [min, max] = INTEGER_RANGES[type];
  return value >= min && value <= max;
}

export function rangeText(type: IntegerType): string {
  const [min, max] = INTEGER_RANGES[type];
  return `${min} to ${max}`;
}

/**
 * A number literal's value rounded to f32 or f64 (f32 through f64 first, as C's
 * `(float)strtod(text)` does in Nodix), or undefined when it is too large for the type.
 */
export function floatValue(text: string, type: 'f32' | 'f64'): number | undefined {
  const value = type === 'f32' ? Math.fround(Number(text)) : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Bytes from an even number of hex digits, or undefined. */
export function bytesFromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Bytes from canonical base64 (standard alphabet, padded, zero pad bits), or undefined. */
export function bytesFromBase64(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  // Buffer skips what it cannot decode; only canonical text encodes back to itself.
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}
