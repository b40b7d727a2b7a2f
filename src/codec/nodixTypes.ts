// Nodix type names (libbase's type_hash.h and tree.h) and what each one is in Grove: the one
// place this mapping lives, for import and for export. A name stands either for a Grove
// type (a scalar, a vector, a chain type, object or list) or for one of Nodix's record
// types, which Grove registers as abstract types of the same name (NODIX_RECORD_TYPES), so
// that a node keeps its Nodix type and tree.find finds it by that name. A name not listed
// is unknown, and refused by name.
//
// Record type ids: Nodix's own ids collide (NODE_BITCORE_TX is NODE_BITCORE_WALLET_ADDR_LIST),
// so Grove gives each record one is-a flag of its own in a family per Nodix family: 0xF0
// plus the Nodix family's low nibble (0xF4 GFX, 0xF7 memory, 0xF8 tasks and scripts, 0xFA
// pools, 0xFB bitcore, 0xFD render). Applications should not register types in these
// families.

import type { AbstractType } from '../abstractTypes.js';
import { type ApplicationTypeId, type TypeName } from '../types.js';

/**
 * The Nodix names that stand for a Grove type. Export writes a type's first name, unless
 * it is marked as read only: a u8 is no script opcode, a byte string no MD5 hash.
 */
const GROVE_TYPES: ReadonlyArray<readonly [nodix: string, type: TypeName, readOnly?: 'read only']> = [
  // Scalars.
  ['NODE_GFX_STR', 'str'],
  ['NODE_GFX_INT', 'u32'],
  ['NODE_GFX_SIGNED_INT', 'i32'],
  ['NODE_GFX_BINT', 'u64'],
  ['NODE_GFX_INT64', 'u64'], // the 2016 headers' name for BINT
  ['NODE_GFX_SIGNED_BINT', 'i64'],
  ['NODE_GFX_SIGNED_INT64', 'i64'],
  ['NODE_GFX_SHORT', 'u16'],
  ['NODE_GFX_BOOL', 'bool'],
  ['NODE_GFX_FLOAT', 'f32'],
  ['NODE_GFX_DOUBLE', 'f64'],
  ['NODE_GFX_NULL', 'null'],
  ['NODE_GFX_DATA', 'bytes'], // written as a string of hex digits
  ['NODE_MD5_HASH', 'bytes', 'read only'], // 16 bytes, as hex
  ['NODE_BITCORE_SCRIPT', 'bytes', 'read only'], // a transaction script's bytes, as hex
  ['NODE_BITCORE_SCRIPT_OPCODE', 'u8', 'read only'], // one opcode
  // Addresses in the running process (a pointer, a semaphore, a module's function): a
  // number here, meaningless outside the process that wrote it.
  ['NODE_GFX_PTR', 'u64', 'read only'],
  ['NODE_SEMAPHORE', 'u64', 'read only'],
  ['NODE_MODULE_PROC', 'u64', 'read only'],
  ['NODE_MODULE_RPROC', 'u64', 'read only'],
  ['NODE_MODULE_RWPROC', 'u64', 'read only'],

  // Structured nodes without a record type of their own.
  ['NODE_GFX_OBJECT', 'object'],
  ['NODE_JSON_ARRAY', 'list'],

  // Geometry: arrays of numbers ([r, g, b, a]; [x, y, width, height]; mat3x3 row by row),
  // and an IPv4 address as "a.b.c.d".
  ['NODE_GFX_4UC', 'vec4uc'],
  ['NODE_GFX_RECT', 'rect'],
  ['NODE_NET_IP', 'ipv4'],
  ['NODE_RT_VEC2', 'vec2'],
  ['NODE_RT_VEC3', 'vec3'],
  ['NODE_RT_MAT3x3', 'mat3x3'],
  ['NODE_RT_FLOAT_ARRAY', 'f32array'],
  ['NODE_RT_INT_ARRAY', 'i32array'],

  // Chain: hashes as 64 hex digits (block and tx hashes in Bitcoin's reversed order, as
  // Nodix writes them), keys and signatures as hex, addresses as Base58Check, vint as an
  // integer, vstr as a string.
  ['NODE_BITCORE_HASH', 'hash'],
  ['NODE_BITCORE_BLOCK_HASH', 'block_hash'],
  ['NODE_BITCORE_TX_HASH', 'tx_hash'],
  ['NODE_BITCORE_PUBKEY', 'pubkey'],
  ['NODE_BITCORE_WALLET_ADDR', 'address'],
  ['NODE_BITCORE_VINT', 'vint'],
  ['NODE_BITCORE_VSTR', 'vstr'],
  ['NODE_BITCORE_ECDSA_SIG', 'der_sig'],
];

/** Nodix's record types by family: each holds members by name (`{}`) or items in order (`[]`). */
const RECORD_FAMILIES: ReadonlyArray<readonly [family: number, records: readonly string[]]> = [
  [0xf4, [
    'NODE_GFX_SCENE', 'NODE_GFX_TEXT', 'NODE_GFX_IMAGE_OBJ', 'NODE_GFX_CTRL_DATA_COLUMN', 'NODE_GFX_CTRL_DATA_COLUMN_LIST',
    'NODE_GFX_STYLE', 'NODE_GFX_CTRL', 'NODE_GFX_CTRL_ITEM', 'NODE_GFX_TEXT_LIST', 'NODE_GFX_TEXT_LIST_ENTRY',
    'NODE_GFX_CTRL_ITEM_DATA', 'NODE_GFX_CTRL_ITEM_LIST', 'NODE_GFX_EVENT_LIST', 'NODE_GFX_EVENT', 'NODE_GFX_RECT_OBJ',
    'NODE_GFX_IMAGE', 'NODE_GFX_IMAGE_LIST',
  ]],
  [0xf7, ['NODE_REQUEST', 'NODE_MEM_AREA_LIST', 'NODE_MEM_AREA', 'NODE_MEM_AREA_DESC', 'NODE_TREE_AREA_DESC', 'NODE_TREE_NODE_DESC']],
  [0xf8, [
    'NODE_TASK_LIST', 'NODE_TASK', 'NODE_TASK_DATA', 'NODE_MODULE_DEF', 'NODE_HTTP_REQUEST', 'NODE_SERVICE',
    'NODE_SCRIPT_HANDLER_PROC', 'NODE_SCRIPT_PROC', 'NODE_SCRIPT_ACUM_PROC', 'NODE_SCRIPT', 'NODE_MSG_HANDLER',
    'NODE_MSG_HANDLER_LIST', 'NODE_SCRIPT_PAGE_PROC', 'NODE_SCRIPT_PAGE_PARAM',
  ]],
  [0xfa, [
    'NODE_TYPE_POOL_LIST', 'NODE_TYPE_POOL', 'NODE_TYPE_POOL_TUPPLE_LIST', 'NODE_POOL_JOB_LIST', 'NODE_POOL_JOB',
    'NODE_CON_LIST', 'NODE_CON', 'NODE_LOG_PARAMS',
  ]],
  [0xfb, [
    'NODE_BITCORE_NODE', 'NODE_BITCORE_NODE_LIST', 'NODE_BITCORE_MSG', 'NODE_BITCORE_MSG_LIST', 'NODE_BITCORE_ADDR',
    'NODE_BITCORE_ADDR_LIST', 'NODE_BITCORE_PAYLOAD', 'NODE_BITCORE_ADDRT', 'NODE_BITCORE_BLK_HDR',
    'NODE_BITCORE_BLK_HDR_LIST', 'NODE_BITCORE_BLOCK_LIST', 'NODE_BITCORE_BLOCK', 'NODE_BITCORE_HASH_LIST',
    'NODE_BITCORE_WALLET_ADDR_LIST', 'NODE_BITCORE_TX', 'NODE_BITCORE_TX_LIST', 'NODE_BITCORE_TXIN', 'NODE_BITCORE_VINLIST',
    'NODE_BITCORE_TXOUT', 'NODE_BITCORE_VOUTLIST', 'NODE_BITCORE_LOCATOR',
  ]],
  [0xfd, [
    'NODE_RT_SCENE', 'NODE_RT_VEC3_ARRAY', 'NODE_RT_CUBEMAP', 'NODE_RT_SHADER_UNIFORM_LIST', 'NODE_RT_MATERIAL',
    'NODE_RT_MATERIAL_LIST', 'NODE_RT_BBOX', 'NODE_RT_SPHERE', 'NODE_RT_CUBE', 'NODE_RT_PLANE', 'NODE_RT_CYLINDER',
  ]],
];

/** Records that hold items in order, written as JSON arrays: the lists, the arrays, a block locator. */
const ORDERED_RECORD = /_LIST$|_ARRAY$|^NODE_BITCORE_LOCATOR$|^NODE_BITCORE_VINLIST$|^NODE_BITCORE_VOUTLIST$/;

export interface NodixRecord {
  readonly name: string;
  readonly id: number;
  /** How its JSON is written: `{}` with named members, or `[]` with items in order. */
  readonly json: 'object' | 'array';
}

export const NODIX_RECORDS: readonly NodixRecord[] = RECORD_FAMILIES.flatMap(([family, names]) =>
  names.map((name, bit) => ({
    name,
    id: ((family << 24) | (1 << bit)) >>> 0,
    json: ORDERED_RECORD.test(name) ? ('array' as const) : ('object' as const),
  })),
);

/** The record types as abstract types, open (any members), for a tree's registry: tree.types.register(...). */
export const NODIX_RECORD_TYPES: readonly AbstractType[] = NODIX_RECORDS.map(({ name, id }) => ({ name, id }));

/** What a Nodix name stands for. */
export type NodixType = { readonly grove: TypeName } | { readonly record: NodixRecord };

const BY_NAME: ReadonlyMap<string, NodixType> = new Map<string, NodixType>([
  ...GROVE_TYPES.map(([nodix, grove]) => [nodix, { grove }] as const),
  ...NODIX_RECORDS.map((record) => [record.name, { record }] as const),
]);

export function nodixType(name: string): NodixType | undefined {
  return BY_NAME.get(name);
}

/** Every name, and the Grove type each stands for (records: their id as typed JSON writes it). */
export function nodixNames(): ReadonlyArray<readonly [nodix: string, type: TypeName | ApplicationTypeId]> {
  return [...BY_NAME].map(([name, type]) => [name, 'grove' in type ? type.grove : applicationTypeId(type.record.id)]);
}

const NAME_OF_GROVE_TYPE = new Map<TypeName, string>();
for (const [nodix, grove, readOnly] of GROVE_TYPES) {
  if (readOnly === undefined && !NAME_OF_GROVE_TYPE.has(grove)) NAME_OF_GROVE_TYPE.set(grove, nodix);
}
const RECORD_BY_ID = new Map(NODIX_RECORDS.map((record) => [record.id, record]));

/** The name export writes for a Grove type, or undefined when Nodix has none (i8, u8 as a number, f64array, ...). */
export function nodixNameOf(type: TypeName): string | undefined {
  return NAME_OF_GROVE_TYPE.get(type);
}

/** The record type of an application type id, if it is one. */
export function nodixRecordOf(id: number): NodixRecord | undefined {
  return RECORD_BY_ID.get(id);
}

/** An application type id as typed JSON writes it: "0xFB000001". */
export function applicationTypeId(id: number): ApplicationTypeId {
  return `0x${id.toString(16).toUpperCase().padStart(8, '0')}`;
}
