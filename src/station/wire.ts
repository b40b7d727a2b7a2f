// Leaf values on the wire, as plain JSON encodes them (DESIGN "Wire formats"): integers
// beyond +-2^53 as decimal strings, bytes as base64, non-finite floats as strings.
import { plainJsonValue } from '../codec/jsonValues.js';
import type { JsonValue, LeafValue } from '../types.js';

export function leafToJson(value: LeafValue): JsonValue {
  return plainJsonValue(value);
}
