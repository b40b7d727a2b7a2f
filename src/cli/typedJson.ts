// Nodes as Grove's typed JSON (the format src/codec/typed.ts reads and the native exporter
// writes), as the uploader sends them: {"name","type","value"} for leaves,
// {"name","type","children"} for containers; unnamed is "". Leaf values are written as
// the exporter writes them (typedJsonValue in src/codec/jsonValues.ts).

import type { JsonValue } from '../types.js';

export type TypedJsonNode =
  | { name: string; type: string; value: JsonValue }
  | { name: string; type: string; children: TypedJsonNode[] };

/** UTF-8 bytes of a value's JSON, as JSON.stringify sends it. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
