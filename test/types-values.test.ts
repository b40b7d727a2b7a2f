// Every type of DESIGN's table through the public API: its JavaScript form, and every
// conversion both ways, exact ones succeeding and the others failing with a message that
// names both types (include/grove/forms.h has the rules).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { convert, type LeafValue, Tree, TYPE_IDS, type TypeName } from '../src/index.js';
import { expectGroveError } from './helpers/errors.js';

let tree: Tree;
beforeEach(() => {
  tree = Tree.create();
});
afterEach(() => {
  tree.close();
});

const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
const GENESIS_HASH_INTERNAL = '6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000';
// The public key of the genesis block's coinbase output.
const GENESIS_KEY =
  '04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f';
const GENESIS_ADDRESS = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa';
// bitcoinjs/bip66 fixtures.json, valid[0] (its S is low).
const SIGNATURE =
  '3044022029db2d5f4e1dcc04e19266cce3cb135865784c62ab653b307f0e0bb744f5c2aa022000a97f5826912cac8b44d9f577a26f169a2f8db781f2ddb7de2bc886e93b6844';

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

/** The message of the TYPE_MISMATCH that `fn` must throw. */
const mismatch = (fn: () => unknown): string => expectGroveError(fn, 'TYPE_MISMATCH').message;

// [from type, value of it, to type, the converted value]
const EXACT: [TypeName, LeafValue, TypeName, LeafValue][] = [
  // scalars (DESIGN: "a u8 read as i64, an i32 as f64")
  ['u8', 200, 'i64', 200],
  ['i32', -7, 'f64', -7],
  ['f64', 0.5, 'f32', 0.5],
  ['u8', 200, 'u16', 200],
  ['u64', 2n ** 63n, 'f64', 2 ** 63],
  ['str', 'abc', 'bytes', new Uint8Array([97, 98, 99])],
  // geometry
  ['f64array', new Float64Array([1, 2.5, -3]), 'vec3', [1, 2.5, -3]],
  ['vec3', [1, 2.5, -3], 'f32array', new Float32Array([1, 2.5, -3])],
  ['f32array', new Float32Array([0.5, 8]), 'vec2', [0.5, 8]],
  ['vec2', [0.5, 8], 'f64array', new Float64Array([0.5, 8])],
  ['f64array', new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), 'mat3x3', [1, 0, 0, 0, 1, 0, 0, 0, 1]],
  ['mat3x3', [1, 0, 0, 0, 1, 0, 0, 0, 1], 'i16array', new Int16Array([1, 0, 0, 0, 1, 0, 0, 0, 1])],
  ['i32array', new Int32Array([-5, 10, 640, 480]), 'rect', [-5, 10, 640, 480]],
  ['rect', [-5, 10, 640, 480], 'i32array', new Int32Array([-5, 10, 640, 480])],
  ['bytes', new Uint8Array([255, 128, 0, 1]), 'vec4uc', [255, 128, 0, 1]],
  ['vec4uc', [255, 128, 0, 1], 'bytes', new Uint8Array([255, 128, 0, 1])],
  ['vec4uc', [255, 128, 0, 1], 'u8array', new Uint8Array([255, 128, 0, 1])],
  ['i32array', new Int32Array([1, 2, 3, 4]), 'vec4uc', [1, 2, 3, 4]],
  ['str', '192.168.0.1', 'ipv4', '192.168.0.1'],
  ['ipv4', '192.168.0.1', 'u32', 3232235521],
  ['u32', 3232235521, 'ipv4', '192.168.0.1'],
  ['ipv4', '10.0.0.1', 'bytes', new Uint8Array([10, 0, 0, 1])],
  ['bytes', new Uint8Array([10, 0, 0, 1]), 'ipv4', '10.0.0.1'],
  ['ipv4', '10.0.0.1', 'str', '10.0.0.1'],
  // SIMD arrays
  ['f32array', new Float32Array([1.5, NaN, -Infinity]), 'f64array', new Float64Array([1.5, NaN, -Infinity])],
  ['f64array', new Float64Array([1, -2, 300]), 'i16array', new Int16Array([1, -2, 300])],
  ['i16array', new Int16Array([1, -2, 300]), 'i32array', new Int32Array([1, -2, 300])],
  ['i32array', new Int32Array([16777216]), 'f32array', new Float32Array([16777216])],
  ['bytes', new Uint8Array([1, 2, 255]), 'u8array', new Uint8Array([1, 2, 255])],
  ['u8array', new Uint8Array([1, 2, 255]), 'bytes', new Uint8Array([1, 2, 255])],
  ['u8array', new Uint8Array([1, 2, 255]), 'f32array', new Float32Array([1, 2, 255])],
  // chain
  ['str', GENESIS_HASH, 'block_hash', GENESIS_HASH],
  ['block_hash', GENESIS_HASH, 'bytes', hex(GENESIS_HASH_INTERNAL)],
  ['bytes', hex(GENESIS_HASH_INTERNAL), 'block_hash', GENESIS_HASH],
  ['block_hash', GENESIS_HASH, 'hash', GENESIS_HASH_INTERNAL],
  ['hash', GENESIS_HASH_INTERNAL, 'tx_hash', GENESIS_HASH],
  ['hash', 'AB'.repeat(32), 'str', 'ab'.repeat(32)],
  ['str', GENESIS_KEY, 'pubkey', GENESIS_KEY],
  ['pubkey', GENESIS_KEY, 'bytes', hex(GENESIS_KEY)],
  ['bytes', hex(`02${'11'.repeat(32)}`), 'pubkey', `02${'11'.repeat(32)}`],
  ['str', '', 'pubkey', ''],
  ['str', GENESIS_ADDRESS, 'address', GENESIS_ADDRESS],
  ['address', GENESIS_ADDRESS, 'bytes', hex('0062e907b15cbf27d5425399ebf6f0fb50ebb88f18')],
  ['bytes', hex('0062e907b15cbf27d5425399ebf6f0fb50ebb88f18'), 'address', GENESIS_ADDRESS],
  ['u64', 0xfd, 'vint', 0xfd],
  ['vint', 0xfd, 'bytes', hex('fdfd00')],
  ['bytes', hex('ff0000000001000000'), 'vint', 2 ** 32],
  ['vint', 2n ** 64n - 1n, 'u64', 2n ** 64n - 1n],
  ['vint', 7, 'f64', 7],
  ['str', '/Satoshi:0.7.2/', 'vstr', '/Satoshi:0.7.2/'],
  ['vstr', '/Satoshi:0.7.2/', 'bytes', hex('0f2f5361746f7368693a302e372e322f')],
  ['bytes', hex('0568656c6c6f'), 'vstr', 'hello'],
  ['vstr', 'hello', 'str', 'hello'],
  ['str', SIGNATURE, 'der_sig', SIGNATURE],
  ['der_sig', SIGNATURE, 'bytes', hex(SIGNATURE)],
  ['bytes', hex(SIGNATURE), 'der_sig', SIGNATURE],
];

// [from type, value of it, to type, what the message says after "to <type>: "]
const LOSSY: [TypeName, LeafValue, TypeName, string][] = [
  ['i64', -1, 'u32', 'out of range 0..4294967295'],
  ['f64', 1.5, 'i32', 'not an integer'],
  ['str', 'abc', 'hash', 'a hash is 64 hex digits'],
  ['f64array', new Float64Array([0.1, 0, 0]), 'vec3', 'element 0 (0.1) is not exactly representable as f32'],
  ['f64array', new Float64Array([1, 2]), 'vec3', 'it has 2 elements, a vec3 has 3'],
  ['vec3', [1, 2, 3], 'vec2', 'it has 3 elements, a vec2 has 2'],
  ['f64array', new Float64Array(8), 'mat3x3', 'it has 8 elements, a mat3x3 has 9'],
  ['f64array', new Float64Array([0, 0, 1.5, 1]), 'rect', 'element 2 (1.5) is not an integer'],
  ['f64array', new Float64Array([0, 0, 3e9, 1]), 'rect', 'element 2 (3e+09) is out of range for i32'],
  ['f64array', new Float64Array([256, 0, 0, 0]), 'vec4uc', 'element 0 (256) is out of range for u8'],
  ['bytes', new Uint8Array(3), 'vec4uc', 'it takes exactly 4 bytes'],
  ['vec3', [1, 2, 3], 'str', 'no exact conversion between these types'],
  ['f64', 1, 'vec2', 'no exact conversion between these types'],
  ['str', '256.0.0.1', 'ipv4', 'not a dotted quad'],
  ['str', '01.2.3.4', 'ipv4', 'not a dotted quad'],
  ['i64', -1, 'ipv4', 'not an integer in 0..4294967295'],
  ['ipv4', '192.168.0.1', 'i16', 'out of range -32768..32767'],
  ['f64array', new Float64Array([40000]), 'i16array', 'element 0 (40000) is out of range for i16'],
  ['f64array', new Float64Array([NaN]), 'i32array', 'element 0 (nan) is not a finite number'],
  ['f64array', new Float64Array([1e39]), 'f32array', 'element 0 (1e+39) is out of range for f32'],
  ['i32array', new Int32Array([16777217]), 'f32array', 'element 0 (16777217) is not exactly representable as f32'],
  ['bytes', new Uint8Array(2), 'f32array', 'no exact conversion between these types'],
  ['f32array', new Float32Array(1), 'u64', 'not a number'],
  ['str', `${'0'.repeat(63)}g`, 'hash', 'not hex digits'],
  ['bytes', new Uint8Array(31), 'hash', 'a hash is 32 bytes'],
  ['block_hash', GENESIS_HASH, 'u64', 'not a number'],
  ['str', `05${'11'.repeat(64)}`, 'pubkey', 'a public key is 33 bytes starting 0x02 or 0x03, or 65 bytes starting 0x04'],
  ['str', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb', 'address', 'the Base58Check checksum does not match'],
  ['str', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0', 'address', 'a character outside the Base58 alphabet'],
  ['bytes', hex('0162e907b15cbf27d5425399ebf6f0fb50ebb88f'), 'address', 'an address is a version byte and a 20-byte hash'],
  ['bytes', hex('fdfc00'), 'vint', 'CompactSize non-canonical: a shorter encoding exists'],
  ['bytes', hex('fe00000100ff'), 'vint', 'bytes follow the CompactSize'],
  ['i64', -1, 'vint', 'out of range 0..18446744073709551615'],
  ['vint', 300, 'i8', 'out of range -128..127'],
  ['bytes', hex('0361'), 'vstr', 'the length says 3 bytes, 1 follow'],
  ['bytes', hex('01ff'), 'vstr', 'the text is not valid UTF-8'],
  ['str', '300c020400ffffff02040000ffff', 'der_sig', 'S has excess padding'],
  ['vstr', 'x', 'u8', 'not a number'],
];

// A node of type `from` holding `value` (itself converted exactly to it).
function nodeOf(from: TypeName, value: LeafValue) {
  tree.set('x', value, from);
  return tree.node('x');
}

describe('conversions', () => {
  it.each(EXACT)('%s %o converts exactly to %s', (from, value, to, expected) => {
    expect(nodeOf(from, value).as(to)).toEqual(expected);
    if (from === 'str' || from === 'bytes' || from === 'f64array' || from === 'f32array') expect(convert(value, to)).toEqual(expected);
  });

  it.each(LOSSY)('%s %o does not convert to %s', (from, value, to, why) => {
    const message = mismatch(() => nodeOf(from, value).as(to));
    expect(message).toMatch(new RegExp(`^cannot convert ${from} .* to ${to}: `));
    expect(message).toContain(why);
  });

  it('covers every type of the table, from and to', () => {
    const covered = new Set([...EXACT, ...LOSSY].flatMap(([from, , to]) => [from, to]));
    const leafTypes = Object.keys(TYPE_IDS).filter((t) => t !== 'object' && t !== 'list' && t !== 'null' && t !== 'bool');
    expect(leafTypes.filter((t) => !covered.has(t as TypeName))).toEqual([]);
  });
});

describe('nodes of the new types', () => {
  it('take values in any form that converts exactly, and read in their JavaScript form', () => {
    tree.set('v', [1, 2, 3], 'vec3');
    tree.set('v2', new Float32Array([0.5, 0.25]), 'vec2');
    tree.set('c', [255, 0, 0, 255], 'vec4uc');
    tree.set('r', [0, 0, 640, 480], 'rect');
    tree.set('m', [1, 0, 0, 0, 1, 0, 0, 0, 1], 'mat3x3');
    tree.set('ip', '127.0.0.1', 'ipv4');
    tree.set('h', GENESIS_HASH, 'block_hash');
    tree.set('k', GENESIS_KEY, 'pubkey');
    tree.set('a', GENESIS_ADDRESS, 'address');
    tree.set('n', 2n ** 63n, 'vint');
    tree.set('s', 'grove', 'vstr');
    tree.set('sig', SIGNATURE, 'der_sig');
    expect(tree.get('')).toEqual({
      v: [1, 2, 3],
      v2: [0.5, 0.25],
      c: [255, 0, 0, 255],
      r: [0, 0, 640, 480],
      m: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      ip: '127.0.0.1',
      h: GENESIS_HASH,
      k: GENESIS_KEY,
      a: GENESIS_ADDRESS,
      n: '9223372036854775808',
      s: 'grove',
      sig: SIGNATURE,
    });
    expect(tree.value('v')).toEqual([1, 2, 3]);
    expect(tree.value('n')).toBe(2n ** 63n);
    expect(tree.node('h').as('bytes')).toEqual(hex(GENESIS_HASH_INTERNAL));
    expect(tree.node('ip').as('u32')).toBe(0x7f000001);
    expect(tree.node('v').type).toBe('vec3');
  });

  it('infer the SIMD array types from TypedArrays', () => {
    tree.set('f', new Float32Array([1, 2]));
    tree.set('d', new Float64Array([1]));
    tree.set('i', new Int32Array([-1]));
    tree.set('s', new Int16Array([7]));
    tree.set('b', new Uint8Array([1]));
    expect(['f', 'd', 'i', 's', 'b'].map((p) => tree.node(p).type)).toEqual(['f32array', 'f64array', 'i32array', 'i16array', 'bytes']);
    expect(tree.value('f')).toEqual(new Float32Array([1, 2]));
    tree.set('l', [1, 2]);
    expect(tree.node('l').type).toBe('list');  // a plain array is still a list without a type
  });

  it('refuse writes that do not convert exactly, keeping their value', () => {
    tree.set('v', [1, 2, 3], 'vec3');
    const v = tree.node('v');
    expect(mismatch(() => (v.value = [1, 2]))).toBe('cannot convert f64array [1, 2] to vec3: it has 2 elements, a vec3 has 3');
    expect(mismatch(() => (v.value = 'x'))).toBe('cannot convert str "x" to vec3: no exact conversion between these types');
    expect(v.value).toEqual([1, 2, 3]);
    tree.set('h', GENESIS_HASH, 'hash');
    expect(mismatch(() => tree.set('h', 'abc', 'hash'))).toBe('cannot convert str "abc" to hash: a hash is 64 hex digits');
    expect(() => tree.set('a', ['x'] as never, 'vec2')).toThrow(/value\[0\] is string: an array value holds numbers only/);
  });

  it('hold a zero value until set, and compare in their own type', () => {
    const h = tree.root.add('h', 'tx_hash');
    expect(h.value).toBe('0'.repeat(64));
    expect(h.setIfZero(GENESIS_HASH)).toEqual({ ok: true, value: GENESIS_HASH });
    expect(h.compareAndSet(GENESIS_HASH, 'ab'.repeat(32)).ok).toBe(true);
    expect(h.compareAndSet(GENESIS_HASH, 'cd'.repeat(32)).ok).toBe(false);
    const v = tree.root.add('v', 'vec3');
    expect(v.value).toEqual([0, 0, 0]);
    expect(v.compareAndSet([0, 0, 0], [1, 2, 3])).toEqual({ ok: true, value: [1, 2, 3] });
    const k = tree.root.add('k', 'pubkey');
    expect(k.value).toBe('');
    expect(tree.root.add('n', 'vint').increment(0x10000)).toBe(0x10000);
  });

  it('are found by value', () => {
    tree.set('txs', { a: { id: 1 }, b: { id: 2 } });
    tree.set('txs/a/hash', GENESIS_HASH, 'tx_hash');
    tree.set('txs/b/at', [1, 2, 3], 'vec3');
    const txs = tree.node('txs');
    expect(txs.find({ member: 'at', op: '=', value: [1, 2, 3] }).map((n) => n.name)).toEqual(['b']);
    // A string compares with a hash (an address, an ipv4) in that type: as its text form.
    expect(txs.find({ member: 'hash', op: '=', value: GENESIS_HASH.toUpperCase() }).map((n) => n.name)).toEqual(['a']);
    expect(txs.find({ member: 'hash', op: '=', value: 'not a hash' })).toEqual([]);
  });
});
