// Values arriving as JSON-RPC params, turned into what the tree takes. Without a type,
// plain JSON's inference applies (DESIGN "Wire formats"). With a type, the plain
// encodings are read back: decimal strings for 64-bit integers, base64 for bytes, and
// "NaN", "Infinity", "-Infinity", "-0" for floats.
import { GroveError } from '../errors.js';
import type { LeafValue, TreeValue, TypeName } from '../types.js';

const INTEGER_TYPES = new Set<string>(['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64']);
const SPECIAL_FLOATS: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

export function decodeValue(value: unknown, type: TypeName | undefined, path: string): TreeValue {
  if (type === undefined || type === 'object' || type === 'list') return value as TreeValue;
  return decodeLeaf(value, type, path);
}

export function decodeLeaf(value: unknown, type: TypeName, path: string): LeafValue {
  if (typeof value === 'string') {
    if (INTEGER_TYPES.has(type)) {
      if (!/^-?\d{1,20}$/.test(value)) throw invalid(path, type, 'an integer or a decimal string', value);
      return BigInt(value);
    }
    if ((type === 'f32' || type === 'f64') && Object.hasOwn(SPECIAL_FLOATS, value)) return SPECIAL_FLOATS[value]!;
    if (type === 'bytes') {
      const bytes = Buffer.from(value, 'base64');
      if (bytes.toString('base64') !== value) throw invalid(path, type, 'base64 text', value);
      return new Uint8Array(bytes);
    }
  }
  if (value !== null && typeof value === 'object') throw invalid(path, type, `a ${type} value`, value);
  return value as LeafValue;
}

function invalid(path: string, type: TypeName, expected: string, got: unknown): GroveError {
  const shown = JSON.stringify(got);
  return new GroveError(
    'TYPE_MISMATCH',
    `a ${type} value at "${path}" must be ${expected}, got ${shown.length > 40 ? shown.slice(0, 40) + '...' : shown}`,
    path,
  );
}
