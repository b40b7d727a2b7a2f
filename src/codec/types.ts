// The node types and leaf values the codecs produce. Kept here until the typed Node API
// (src/types.ts) exists; the two definitions must stay identical.

export type TypeName =
  | 'null'
  | 'bool'
  | 'i8'
  | 'i16'
  | 'i32'
  | 'i64'
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'f32'
  | 'f64'
  | 'str'
  | 'bytes'
  | 'object'
  | 'list';

export type LeafValue = null | boolean | number | bigint | string | Uint8Array;

const TYPE_NAMES: ReadonlySet<string> = new Set<TypeName>([
  'null', 'bool', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64',
  'f32', 'f64', 'str', 'bytes', 'object', 'list',
]);

export function isTypeName(name: string): name is TypeName {
  return TYPE_NAMES.has(name);
}

/** Object and list nodes hold children and no value. */
export function isStructured(type: TypeName): type is 'object' | 'list' {
  return type === 'object' || type === 'list';
}
