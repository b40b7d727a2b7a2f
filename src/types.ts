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
  | 'list';

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
});

/** Query types: match any node, any integer node, any integer or float node. */
export const ANY_TYPE = 0xffffffff;
export const INTEGER_TYPE = 0x010003fc;
export const NUMBER_TYPE = 0x01000ffc;

/** A type to match children or ancestors against: a type, a query type, or a raw type id. */
export type TypeQuery = TypeName | 'any' | 'integer' | 'number' | number;

/** The name of a built-in type, or "type 0x10000001" for an application type. */
export type TypeLabel = TypeName | `type 0x${string}`;

export type LeafValue = null | boolean | number | bigint | string | Uint8Array;

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

/** The id of a query type: a type, 'any', 'integer', 'number', or a raw id. */
export function queryIdOf(type: TypeQuery, where: string): number {
  return QUERY_IDS.get(type) ?? typeIdOf(type as TypeName | number, where);
}

/** Whether a node of type `nodeType` matches a query type: same family and a shared is-a flag, or any. */
export function typeMatches(nodeType: number, query: number): boolean {
  return query === ANY_TYPE || (nodeType >>> 24 === query >>> 24 && (nodeType & query & 0xffffff) !== 0);
}
