// Leaf values on the wire, as plain JSON encodes them (DESIGN "Wire formats"): integers
// beyond +-2^53 as decimal strings, bytes as base64, non-finite floats as strings.
import type { JsonValue, LeafValue } from '../types.js';

export function leafToJson(value: LeafValue): JsonValue {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return value;
}
