// Nodix type names (libbase tree.h) and the Grove type each one becomes on import: the one
// place this mapping lives. A name not listed is unknown, and refused by name.

import type { TypeName } from '../types.js';

export const NODIX_TYPES: ReadonlyMap<string, TypeName> = new Map<string, TypeName>([
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

  // Structured: Nodix's named record and list types hold plain children here.
  ['NODE_GFX_OBJECT', 'object'],
  ['NODE_JSON_ARRAY', 'list'],
  ['NODE_BITCORE_NODE', 'object'],
  ['NODE_BITCORE_ADDR', 'object'],
  ['NODE_BITCORE_ADDRT', 'object'],
  ['NODE_BITCORE_MSG', 'object'],
  ['NODE_BITCORE_PAYLOAD', 'object'],
  ['NODE_BITCORE_BLK_HDR', 'object'],
  ['NODE_BITCORE_BLOCK', 'object'],
  ['NODE_BITCORE_TX', 'object'],
  ['NODE_BITCORE_TXIN', 'object'],
  ['NODE_BITCORE_TXOUT', 'object'],
  ['NODE_BITCORE_NODE_LIST', 'list'],
  ['NODE_BITCORE_MSG_LIST', 'list'],
  ['NODE_BITCORE_ADDR_LIST', 'list'],
  ['NODE_BITCORE_BLK_HDR_LIST', 'list'],
  ['NODE_BITCORE_BLOCK_LIST', 'list'],
  ['NODE_BITCORE_TX_LIST', 'list'],
  ['NODE_BITCORE_HASH_LIST', 'list'],
  ['NODE_BITCORE_WALLET_ADDR_LIST', 'list'],
  ['NODE_BITCORE_VINLIST', 'list'],
  ['NODE_BITCORE_VOUTLIST', 'list'],

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
]);
