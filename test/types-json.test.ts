// The new types in the wire formats: plain and typed JSON export, exact typed round trips
// with unchanged content hashes, node.hash() as documented, and Nodix import of every
// annotation that maps to a Grove type.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { leafFromJson, plainJsonValue, typedJsonValue } from '../src/codec/index.js';
import { PlanError, Tree, type TypeName } from '../src/index.js';

let tree: Tree;
beforeEach(() => {
  tree = Tree.create();
});
afterEach(() => {
  tree.close();
});

const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
const KEY = `03${'5a'.repeat(32)}`;
const SIGNATURE =
  '3044022029db2d5f4e1dcc04e19266cce3cb135865784c62ab653b307f0e0bb744f5c2aa022000a97f5826912cac8b44d9f577a26f169a2f8db781f2ddb7de2bc886e93b6844';

/** One node of every new type, with values that exercise their encodings. */
function fill(t: Tree): void {
  t.set('geo/v2', new Float32Array([0.5, -0]), 'vec2');
  t.set('geo/v3', new Float32Array([0.1, 2, -3.25]), 'vec3');
  t.set('geo/rgba', [255, 128, 0, 1], 'vec4uc');
  t.set('geo/m', [1, 0, 0, 0, 1, 0, 0, 0, 1], 'mat3x3');
  t.set('geo/r', [-5, 10, 640, 480], 'rect');
  t.set('geo/ip', '192.168.0.1', 'ipv4');
  t.set('arr/f', new Float32Array([0.1, NaN, Infinity, -Infinity, -0]), 'f32array');
  t.set('arr/d', new Float64Array([Math.PI, 1e300]), 'f64array');
  t.set('arr/i', new Int32Array([-2147483648, 2147483647]), 'i32array');
  t.set('arr/s', new Int16Array([-32768, 7]), 'i16array');
  t.set('arr/b', [0, 255], 'u8array');
  t.set('arr/empty', new Float64Array(0), 'f64array');
  t.set('chain/h', 'ab'.repeat(32), 'hash');
  t.set('chain/block', GENESIS_HASH, 'block_hash');
  t.set('chain/tx', GENESIS_HASH, 'tx_hash');
  t.set('chain/key', KEY, 'pubkey');
  t.set('chain/addr', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', 'address');
  t.set('chain/n', 2n ** 64n - 1n, 'vint');
  t.set('chain/small', 252, 'vint');
  t.set('chain/s', 'user agent ✓', 'vstr');
  t.set('chain/sig', SIGNATURE, 'der_sig');
  t.node('chain').add('unset', 'pubkey');
}

describe('JSON export', () => {
  it('writes plain JSON exact in value', () => {
    fill(tree);
    expect(JSON.parse(tree.exportJSON('geo'))).toEqual({
      v2: [0.5, -0],
      v3: [0.1, 2, -3.25],
      rgba: [255, 128, 0, 1],
      m: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      r: [-5, 10, 640, 480],
      ip: '192.168.0.1',
    });
    expect(tree.exportJSON('arr')).toBe(
      '{"f":[0.1,"NaN","Infinity","-Infinity",-0],"d":[3.141592653589793,1e+300],"i":[-2147483648,2147483647],' +
        '"s":[-32768,7],"b":[0,255],"empty":[]}',
    );
    expect(tree.get('chain')).toEqual({
      h: 'ab'.repeat(32),
      block: GENESIS_HASH,
      tx: GENESIS_HASH,
      key: KEY,
      addr: '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
      n: '18446744073709551615',
      small: 252,
      s: 'user agent ✓',
      sig: SIGNATURE,
      unset: '',
    });
  });

  it('writes typed JSON that imports back to the same tree and hash', () => {
    fill(tree);
    tree.set('app', {}, 0x10000001);
    tree.set('app/x', 1);
    const typed = tree.exportJSON('', 'typed');
    expect(typed).toContain('{"name":"v2","type":"vec2","value":[0.5,"-0"]}');
    expect(typed).toContain('{"name":"f","type":"f32array","value":[0.1,"NaN","Infinity","-Infinity","-0"]}');
    expect(typed).toContain('{"name":"n","type":"vint","value":"18446744073709551615"}');
    expect(typed).toContain('{"name":"app","type":"0x10000001","children":[');
    const copy = Tree.create();
    try {
      copy.importJSON('', typed, { format: 'typed' });
      expect(copy.exportJSON('', 'typed')).toBe(typed);
      expect(copy.root.hash()).toBe(tree.root.hash());
      expect(copy.node('arr/f').view()).toEqual(new Float32Array([0.1, NaN, Infinity, -Infinity, -0]));
      expect(Object.is(copy.node('arr/f').view()[4], -0)).toBe(true);
    } finally {
      copy.close();
    }
  });

  it('refuses typed values that do not fit their type, naming the node', () => {
    const doc = (node: string) => `{"name": "", "type": "object", "children": [${node}]}`;
    const bad: [string, RegExp][] = [
      ['{"name": "v", "type": "vec3", "value": [1, 2]}', /^value: cannot convert f64array \[1, 2\] to vec3: it has 2 elements/],
      ['{"name": "v", "type": "vec3", "value": 1}', /^value must be an array of numbers for vec3, not 1/],
      ['{"name": "a", "type": "i16array", "value": [1.5]}', /^value\[0\] must be an integer, not 1.5/],
      ['{"name": "a", "type": "u8array", "value": ["NaN"]}', /^value\[0\] must be an integer, not a string/],
      ['{"name": "h", "type": "hash", "value": "00"}', /a hash is 64 hex digits/],
      ['{"name": "a", "type": "address", "value": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"}', /checksum does not match/],
      ['{"name": "n", "type": "vint", "value": -1}', /-1 is out of range for vint/],
      ['{"name": "s", "type": "der_sig", "value": "300c020400ffffff02040000ffff"}', /S has excess padding/],
    ];
    for (const [node, message] of bad) {
      let error: unknown;
      try {
        tree.importJSON('x', doc(node), { format: 'typed' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PlanError);
      expect((error as PlanError).message).toMatch(message);
      expect((error as PlanError).pointer).toBe('/children/0');
    }
    expect(tree.tryNode('x')).toBeUndefined();
  });
});

describe('content hash', () => {
  it('is the SHA-256 of the typed JSON with the node name emptied', () => {
    fill(tree);
    const typed = tree.exportJSON('arr', 'typed');
    const unnamed = '{"name":""' + typed.slice('{"name":"arr"'.length);
    expect(tree.node('arr').hash()).toBe(createHash('sha256').update(unnamed).digest('hex'));
  });

  it('does not depend on where the node is, and changes with anything under it', () => {
    tree.set('a', { x: 1, y: { z: 'text' } });
    tree.set('b', { x: 1, y: { z: 'text' } });
    const a = tree.node('a');
    expect(a.hash()).toBe(tree.node('b').hash());
    const before = a.hash();
    tree.set('a/y/extra', 1);
    expect(a.hash()).not.toBe(before);
    tree.delete('a/y/extra');
    expect(a.hash()).toBe(before);
    tree.set('a/x', 1, 'u8');  // same value, another type
    expect(a.hash()).not.toBe(before);
  });

  it('streams a large array into the digest', () => {
    tree.set('big', new Float32Array(1 << 20).fill(0.5));
    const typed = tree.exportJSON('big', 'typed');
    expect(tree.node('big').hash()).toBe(createHash('sha256').update('{"name":""' + typed.slice('{"name":"big"'.length)).digest('hex'));
  });
});

describe('Nodix import', () => {
  it('maps every annotation of a type Grove has', () => {
    const definition = `let NODE_GFX_OBJECT all = \`{
      (NODE_GFX_INT)"int": 1, (NODE_GFX_SIGNED_INT)"sint": -1, (NODE_GFX_BINT)"bint": 0xFFFFFFFFFFFFFFFF,
      (NODE_GFX_INT64)"int64": 2, (NODE_GFX_SIGNED_BINT)"sbint": -2, (NODE_GFX_SIGNED_INT64)"sint64": -3,
      (NODE_GFX_SHORT)"short": 8000, (NODE_GFX_BOOL)"bool": true, (NODE_GFX_STR)"str": "s",
      (NODE_GFX_FLOAT)"float": 0.1, (NODE_GFX_DOUBLE)"double": 0.1, (NODE_GFX_NULL)"null": null, (NODE_GFX_DATA)"data": "00ff",
      (NODE_GFX_4UC)"color": [255, 0, 0, 255], (NODE_GFX_RECT)"rect": [0, 0, 640, 480], (NODE_NET_IP)"ip": "127.0.0.1",
      (NODE_RT_VEC2)"v2": [1, 2], (NODE_RT_VEC3)"v3": [0.1, 0.2, 0.3], (NODE_RT_MAT3x3)"m": [1, 0, 0, 0, 1, 0, 0, 0, 1],
      (NODE_RT_FLOAT_ARRAY)"floats": [0.5, 1.5], (NODE_RT_INT_ARRAY)"ints": [-1, 0x10],
      (NODE_BITCORE_HASH)"hash": "${'ab'.repeat(32)}", (NODE_BITCORE_BLOCK_HASH)"block": "${GENESIS_HASH}",
      (NODE_BITCORE_TX_HASH)"tx": "${GENESIS_HASH}", (NODE_BITCORE_PUBKEY)"key": "${KEY}",
      (NODE_BITCORE_WALLET_ADDR)"addr": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", (NODE_BITCORE_VINT)"vint": 0xFD,
      (NODE_BITCORE_VSTR)"vstr": "/nodix/", (NODE_BITCORE_ECDSA_SIG)"sig": "${SIGNATURE}"
    }\``;
    tree.importJSON('script', definition, { format: 'nodix' });
    const types = Object.fromEntries(tree.node('script/all').children().map((n) => [n.name, n.type]));
    expect(types).toEqual({
      int: 'u32', sint: 'i32', bint: 'u64', int64: 'u64', sbint: 'i64', sint64: 'i64', short: 'u16', bool: 'bool',
      str: 'str', float: 'f32', double: 'f64', null: 'null', data: 'bytes', color: 'vec4uc', rect: 'rect', ip: 'ipv4',
      v2: 'vec2', v3: 'vec3', m: 'mat3x3', floats: 'f32array', ints: 'i32array', hash: 'hash', block: 'block_hash',
      tx: 'tx_hash', key: 'pubkey', addr: 'address', vint: 'vint', vstr: 'vstr', sig: 'der_sig',
    });
    expect(tree.value('script/all/v3')).toEqual([Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);  // f32, as C's (float)strtod
    expect(tree.value('script/all/ints')).toEqual(new Int32Array([-1, 16]));
    expect(tree.node('script/all/block').as('bytes')).toEqual(new Uint8Array(Buffer.from(GENESIS_HASH, 'hex').reverse()));
    expect(tree.value('script/all/vint')).toBe(0xfd);
  });

  it('names an unknown annotation and where it is', () => {
    const text = '{"a": 1,\n  (NODE_BITCORE_SCRIPTS)"script": "00"}';
    expect(() => tree.importJSON('x', text, { format: 'nodix' })).toThrow(
      'unknown Nodix type (NODE_BITCORE_SCRIPTS) (at /script, line 2, column 3)',
    );
  });

  it('checks annotated values exactly', () => {
    expect(() => tree.importJSON('x', '{(NODE_GFX_4UC)"c": [255, 0, 0]}', { format: 'nodix' })).toThrow(
      /^\(NODE_GFX_4UC\)"c": cannot convert f64array \[255, 0, 0\] to vec4uc: it has 3 elements, a vec4uc has 4 \(at \/c, line 1, column 21\)$/,
    );
    expect(() => tree.importJSON('x', '{(NODE_NET_IP)"ip": "localhost"}', { format: 'nodix' })).toThrow(/not a dotted quad/);
    expect(() => tree.importJSON('x', '{(NODE_RT_INT_ARRAY)"i": [1.5]}', { format: 'nodix' })).toThrow(
      /\(NODE_RT_INT_ARRAY\)"i"\[0\] must be an integer, not 1.5/,
    );
  });
});

describe('leaf values in JSON, for code that writes and reads the wire formats', () => {
  it('writes each type as the exporter does and reads it back', () => {
    fill(tree);
    for (const node of ['geo', 'arr', 'chain'].flatMap((p) => tree.node(p).children())) {
      const type = node.type as TypeName;
      const exported = JSON.parse(tree.exportJSON(node.path, 'typed')).value;
      expect(typedJsonValue(node.value, type)).toEqual(exported);
      expect(plainJsonValue(node.value, type)).toEqual(JSON.parse(tree.exportJSON(node.path)));
      // The shortest decimal of an f32 (0.1) is not an exact f32: it reads back from the JS value.
      const exact = ['vec2', 'vec3', 'f32array'].includes(type) ? typedJsonValue(node.value) : exported;
      tree.set('copy', leafFromJson(exact, type), type);
      expect(tree.node('copy').hash()).toBe(node.hash());
    }
    expect(() => tree.set('copy', leafFromJson([0.1, 2, -3.25], 'vec3'), 'vec3')).toThrow(/not exactly representable as f32/);
  });

  it('refuses an encoding the type never has', () => {
    expect(() => leafFromJson('1', 'vec2')).toThrow('a vec2 value must be an array of numbers, got "1"');
    expect(() => leafFromJson('1', 'vec2', 'a/b')).toThrow('a vec2 value at "a/b" must be an array of numbers, got "1"');
    expect(() => leafFromJson([1, 'x'], 'f32array')).toThrow(/must be an array of numbers/);
    expect(() => leafFromJson('1.5', 'vint')).toThrow(/an integer or a decimal string/);
    expect(leafFromJson('18446744073709551615', 'vint')).toBe(2n ** 64n - 1n);
  });
});
