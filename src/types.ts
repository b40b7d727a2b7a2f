// Node types by name and id (the ids match include/grove/types.h), and the values that
// cross between JavaScript and the tree.

import { argumentError, GroveError } from './errors.js';

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
  | 'list'
  | 'vec2'
  | 'vec3'
  | 'vec4uc'
  | 'mat3x3'
  | 'rect'
  | 'ipv4'
  | 'f32array'
  | 'f64array'
  | 'i32array'
  | 'i16array'
  | 'u8array'
  | 'hash'
  | 'block_hash'
  | 'tx_hash'
  | 'pubkey'
  | 'address'
  | 'vint'
  | 'vstr'
  | 'der_sig';

/** Type ids: the high byte is a family, the low 24 bits are is-a flags. */
export const TYPE_IDS: Readonly<Record<TypeName, number>> = Object.freeze({
  null: 0x01000001,
  bool: 0x01000002,
  i8: 0x01000004,
  i16: 0x01000008,
  i32: 0x01000010,
  i64: 0x01000020,
  u8: 0x01000040,
  u16: 0x01000080,
  u32: 0x01000100,
  u64: 0x01000200,
  f32: 0x01000400,
  f64: 0x01000800,
  str: 0x01001000,
  bytes: 0x01002000,
  object: 0x02000001,
  list: 0x02000002,
  vec2: 0x03000001,
  vec3: 0x03000002,
  vec4uc: 0x03000004,
  mat3x3: 0x03000008,
  rect: 0x03000010,
  ipv4: 0x03000020,
  f32array: 0x04000001,
  f64array: 0x04000002,
  i32array: 0x04000004,
  i16array: 0x04000008,
  u8array: 0x04000010,
  // block_hash and tx_hash carry the hash flag: a query for 'hash' matches all three.
  hash: 0x0b000001,
  block_hash: 0x0b000003,
  tx_hash: 0x0b000005,
  pubkey: 0x0b000008,
  address: 0x0b000010,
  vint: 0x0b000020,
  vstr: 0x0b000040,
  der_sig: 0x0b000080,
});

/** Query types: match any node, any integer node, any integer or float node, any SIMD array. */
export const ANY_TYPE = 0xffffffff;
export const INTEGER_TYPE = 0x010003fc;
export const NUMBER_TYPE = 0x01000ffc;
export const ARRAY_TYPE = 0x0400001f;

/**
 * A type to match children or ancestors against: a type, a query type, or a raw type id.
 * A type's name matches nodes that are of it: 'hash' matches hash, block_hash and tx_hash
 * nodes, 'block_hash' only block_hash nodes. A raw id matches by the is-a rule (same
 * family, a shared flag), so the id of block_hash matches every hash.
 */
export type TypeQuery = TypeName | 'any' | 'integer' | 'number' | 'array' | number;

/** An application type's id as typed JSON writes it, eight hex digits: "0x10000001". */
export type ApplicationTypeId = `0x${string}`;

/** Whether text is an application type's id (family 0x10-0xFE) as typed JSON writes it. */
export function isApplicationTypeId(text: string): text is ApplicationTypeId {
  if (!/^0x[0-9A-Fa-f]{8}$/.test(text)) return false;
  const family = Number.parseInt(text.slice(2, 4), 16);
  return family >= 0x10 && family <= 0xfe;
}

/** The name of a built-in type, or "type 0x10000001" for an application type. */
export type TypeLabel = TypeName | `type 0x${string}`;

/** The SIMD array types' values: a copy from node.value, the buffer itself from node.view(). */
export type ArrayValue = Float32Array | Float64Array | Int32Array | Int16Array | Uint8Array;

/**
 * A leaf value in JavaScript: integers beyond ±(2^53 - 1) as bigint; bytes and u8array as
 * Uint8Array; vectors (vec2, vec3, vec4uc, mat3x3, rect) as arrays of numbers; SIMD arrays
 * as TypedArrays; hashes, pubkey and der_sig as hex, address as Base58Check, ipv4 as
 * "a.b.c.d", vstr as a string. Writes take any form that converts exactly to the type.
 */
export type LeafValue = null | boolean | number | bigint | string | number[] | ArrayValue;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What set() and add() accept: a leaf value, or plain objects and arrays of them. */
export type TreeValue = LeafValue | readonly TreeValue[] | { readonly [key: string]: TreeValue };

const NAMES_BY_ID = new Map<number, TypeName>(
  Object.entries(TYPE_IDS).map(([name, id]) => [id, name as TypeName]),
);

const QUERY_IDS = new Map<unknown, number>([
  ['any', ANY_TYPE],
  ['integer', INTEGER_TYPE],
  ['number', NUMBER_TYPE],
  ['array', ARRAY_TYPE],
  // Only their own flag, so that a block_hash query does not match hash and tx_hash nodes.
  ['block_hash', 0x0b000002],
  ['tx_hash', 0x0b000004],
]);

export function isTypeName(name: unknown): name is TypeName {
  return typeof name === 'string' && Object.hasOwn(TYPE_IDS, name);
}

/** Object and list nodes hold children and no value. */
export function isStructured(type: TypeName): type is 'object' | 'list' {
  return type === 'object' || type === 'list';
}

export function typeLabel(id: number): TypeLabel {
  return NAMES_BY_ID.get(id) ?? `type 0x${id.toString(16).toUpperCase().padStart(8, '0')}`;
}

function isTypeId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** The id of a node type given by name or id; `where` names the caller in errors. */
export function typeIdOf(type: TypeName | number, where: string): number {
  if (isTypeName(type)) return TYPE_IDS[type];
  if (isTypeId(type)) return type;
  if (typeof type === 'string') {
    throw new GroveError(
      'INVALID_ARGUMENT',
      `${where}: unknown type '${type}'; expected one of ${Object.keys(TYPE_IDS).join(', ')} or a type id`,
    );
  }
  throw argumentError(where, 'a type name or a type id', type);
}

/** The id of a query type: a type, 'any', 'integer', 'number', 'array', or a raw id. */
export function queryIdOf(type: TypeQuery, where: string): number {
  return QUERY_IDS.get(type) ?? typeIdOf(type as TypeName | number, where);
}

/** Whether a node of type `nodeType` matches a query type: same family and a shared is-a flag, or any. */
export function typeMatches(nodeType: number, query: number): boolean {
  return query === ANY_TYPE || (nodeType >>> 24 === query >>> 24 && (nodeType & query & 0xffffff) !== 0);
}
