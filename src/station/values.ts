// Values arriving as JSON-RPC params, turned into what the tree takes. Without a type,
// plain JSON's inference applies (DESIGN "Wire formats"). With a type, the plain
// encodings are read back (src/codec/jsonValues.ts): decimal strings for 64-bit integers,
// base64 for bytes, "NaN", "Infinity", "-Infinity", "-0" for floats, arrays for vectors.
import { leafFromJson } from '../codec/jsonValues.js';
import type { LeafValue, TreeValue, TypeName } from '../types.js';

export function decodeValue(value: unknown, type: TypeName | undefined, path: string): TreeValue {
  if (type === undefined || type === 'object' || type === 'list') return value as TreeValue;
  return decodeLeaf(value, type, path);
}

export function decodeLeaf(value: unknown, type: TypeName, path: string): LeafValue {
  return leafFromJson(value, type, path);
}
