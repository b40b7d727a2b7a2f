// CompactSize, Bitcoin's variable-length integer (a vint node's byte form): one byte
// below 0xFD, else 0xFD, 0xFE or 0xFF and a 2, 4 or 8-byte little-endian integer. A
// prefix longer than the value needs is refused, as Bitcoin Core refuses it. vstr is a
// CompactSize length and that many bytes of UTF-8.
import { GroveError } from '../errors.js';

const MAX_U64 = 2n ** 64n - 1n;

export function encodeCompactSize(n: number | bigint): Uint8Array {
  const value = BigInt(n);
  if (value < 0n || value > MAX_U64) throw new GroveError('INVALID_ARGUMENT', `a CompactSize holds 0..2^64-1, not ${value}`);
  const width = value < 0xfdn ? 0 : value <= 0xffffn ? 2 : value <= 0xffffffffn ? 4 : 8;
  const out = new Uint8Array(1 + width);
  out[0] = width === 0 ? Number(value) : width === 2 ? 0xfd : width === 4 ? 0xfe : 0xff;
  for (let i = 0; i < width; i++) out[1 + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * The CompactSize at `offset`: its value (a number up to 2^53 - 1, a bigint beyond) and
 * how many bytes it took. INVALID_ARGUMENT when it is truncated or non-canonical.
 */
export function decodeCompactSize(bytes: Uint8Array, offset = 0): { value: number | bigint; size: number } {
  if (offset >= bytes.length) throw new GroveError('INVALID_ARGUMENT', 'CompactSize: no bytes');
  const prefix = bytes[offset]!;
  const width = prefix < 0xfd ? 0 : prefix === 0xfd ? 2 : prefix === 0xfe ? 4 : 8;
  if (width === 0) return { value: prefix, size: 1 };
  if (offset + 1 + width > bytes.length) throw new GroveError('INVALID_ARGUMENT', 'CompactSize: truncated');
  let value = 0n;
  for (let i = 0; i < width; i++) value |= BigInt(bytes[offset + 1 + i]!) << BigInt(8 * i);
  const smallest = width === 2 ? 0xfdn : width === 4 ? 0x10000n : 0x100000000n;
  if (value < smallest) throw new GroveError('INVALID_ARGUMENT', 'CompactSize: non-canonical, a shorter encoding exists');
  return { value: value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value, size: 1 + width };
}

export function encodeVarString(text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text);
  const length = encodeCompactSize(utf8.length);
  const out = new Uint8Array(length.length + utf8.length);
  out.set(length);
  out.set(utf8, length.length);
  return out;
}

/** The var_str at `offset` and how many bytes it took; its bytes must be UTF-8. */
export function decodeVarString(bytes: Uint8Array, offset = 0): { value: string; size: number } {
  const { value: length, size } = decodeCompactSize(bytes, offset);
  const end = offset + size + Number(length);
  if (typeof length === 'bigint' || end > bytes.length) throw new GroveError('INVALID_ARGUMENT', 'var_str: truncated');
  let value: string;
  try {
    value = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(offset + size, end));
  } catch {
    throw new GroveError('INVALID_ARGUMENT', 'var_str: not valid UTF-8');
  }
  return { value, size: end - offset };
}
