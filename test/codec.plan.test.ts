import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { planText } from '../src/codec/import.js';
import { JsonTextError } from '../src/codec/jsonText.js';
import { applicationTypeId, NODIX_RECORDS, nodixNames } from '../src/codec/nodixTypes.js';
import { PlanError, type PlanNode } from '../src/codec/plan.js';
import { isApplicationTypeId, isTypeName } from '../src/types.js';

/** The id typed JSON gives a Nodix record type. */
function record(name: string): string {
  return applicationTypeId(NODIX_RECORDS.find((r) => r.name === name)!.id);
}

function planError(text: string, format: 'plain' | 'nodix'): PlanError {
  try {
    planText(text, format);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return error as PlanError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

/** The single child of a one-member document. */
function only(text: string, format: 'plain' | 'nodix'): PlanNode {
  const { root } = planText(text, format);
  expect(root.children).toHaveLength(1);
  return root.children![0];
}

describe('plain JSON plan', () => {
  it('maps object, array, string, bool, integer, real and null', () => {
    const plan = planText('{"o": {"s": "x"}, "l": [true, null], "i": -5, "r": 2.5}', 'plain');
    expect(plan).toEqual({
      size: 7,
      root: {
        name: undefined,
        type: 'object',
        children: [
          { name: 'o', type: 'object', children: [{ name: 's', type: 'str', value: 'x' }] },
          {
            name: 'l',
            type: 'list',
            children: [
              { name: undefined, type: 'bool', value: true },
              { name: undefined, type: 'null', value: null },
            ],
          },
          { name: 'i', type: 'i64', value: -5 },
          { name: 'r', type: 'f64', value: 2.5 },
        ],
      },
    });
  });

  it('plans a top-level array and a top-level scalar', () => {
    expect(planText('[1, "a"]', 'plain').root).toEqual({
      name: undefined,
      type: 'list',
      children: [
        { name: undefined, type: 'i64', value: 1 },
        { name: undefined, type: 'str', value: 'a' },
      ],
    });
    expect(planText('"just text"', 'plain')).toEqual({ size: 0, root: { name: undefined, type: 'str', value: 'just text' } });
  });

  it('keeps integers exact: numbers up to 2^53, bigints beyond', () => {
    const values = (text: string) => planText(text, 'plain').root.children!.map((c) => [c.type, c.value]);
    expect(
      values('[9007199254740992, -9007199254740992, 9007199254740993, -9007199254740993, 9223372036854775807]'),
    ).toEqual([
      ['i64', 9007199254740992],
      ['i64', -9007199254740992],
      ['i64', 9007199254740993n],
      ['i64', -9007199254740993n],
      ['i64', 9223372036854775807n],
    ]);
    expect(values('[-9223372036854775808, 9223372036854775808, 18446744073709551615]')).toEqual([
      ['i64', -9223372036854775808n],
      ['u64', 9223372036854775808n],
      ['u64', 18446744073709551615n],
    ]);
  });

  it('treats -0 as the integer 0 and -0.0 as the real -0', () => {
    const [intZero, realZero] = planText('[-0, -0.0]', 'plain').root.children!;
    expect(Object.is(intZero.value, 0)).toBe(true);
    expect(realZero).toEqual({ name: undefined, type: 'f64', value: -0 });
    expect(Object.is(realZero.value, -0)).toBe(true);
  });

  it('rounds reals to the nearest f64, as JSON.parse does', () => {
    expect(only('{"r": 0.1}', 'plain').value).toBe(0.1);
    expect(only('{"r": 1e308}', 'plain').value).toBe(1e308);
    expect(only('{"r": 1e-400}', 'plain').value).toBe(0);
    expect(only('{"r": 1e5}', 'plain')).toEqual({ name: 'r', type: 'f64', value: 100000 });
  });

  it('rejects integers outside 64 bits and reals outside f64, naming where', () => {
    expect(planError('{"ok": 1,\n "big": [18446744073709551616]}', 'plain').message).toBe(
      'integer 18446744073709551616 is outside the 64-bit range (-9223372036854775808 to 18446744073709551615)' +
        ' (at /big/0, line 2, column 10)',
    );
    const error = planError('[-9223372036854775809]', 'plain');
    expect([error.pointer, error.offset, error.line, error.column]).toEqual(['/0', 1, 1, 2]);
    expect(planError('{"r": 1e400}', 'plain').message).toBe('number 1e400 is too large for f64 (at /r, line 1, column 7)');
  });

  it('rejects keys the tree would refuse as names', () => {
    expect(planError('{"": 1}', 'plain').message).toBe('a name must not be empty (at /, line 1, column 2)');
    expect(planError('{"a": {"b/c": 1}}', 'plain').message).toBe(
      `name "b/c": '/' separates names in a path (at /a/b~1c, line 1, column 8)`,
    );
    expect(planError('{"..": 1}', 'plain').message).toMatch(/^'\.\.' is not a name/);
    expect(planError('{"a\\u0001": 1}', 'plain').message).toMatch(/^name "a\\u0001" contains a control character/);
    expect(planError(`{"${'é'.repeat(128)}": 1}`, 'plain').message).toMatch(/^a name is at most 255 bytes of UTF-8; this one is 256/);
    expect(() => planText(`{"${'é'.repeat(127)}x": 1, "~": 2, "a b": 3}`, 'plain')).not.toThrow();
  });

  it('reports syntax errors as JsonTextError', () => {
    expect(() => planText('{"a": 01}', 'plain')).toThrow(JsonTextError);
  });
});

// notes/nodix.md, "Node definitions", verbatim.
const SELF_NODE = `let NODE_BITCORE_NODE SelfNode = \`{ "user_agent":"nodix", (NODE_GFX_INT)"version":60018,
  (NODE_GFX_BOOL)"uPnP":true, (NODE_BITCORE_ADDR)"p2p_addr":{"services":0,
  (NODE_NET_IP)"addr":"127.0.0.1",(NODE_GFX_SHORT)"port":8000}, (NODE_BITCORE_TX_LIST)"mempool":[] }\``;

// DESIGN.md, "Wire formats", verbatim.
const DESIGN_EXAMPLE = '{ "user_agent":"nodix", (NODE_GFX_INT)"version":60018, (NODE_GFX_BOOL)"uPnP":true }';

describe('Nodix definitions', () => {
  it('plans the DESIGN.md example', () => {
    expect(planText(DESIGN_EXAMPLE, 'nodix')).toEqual({
      size: 3,
      root: {
        name: undefined,
        type: 'object',
        children: [
          { name: 'user_agent', type: 'str', value: 'nodix' },
          { name: 'version', type: 'u32', value: 60018 },
          { name: 'uPnP', type: 'bool', value: true },
        ],
      },
    });
  });

  it('plans the SelfNode definition from nodix.md, its NODE_NET_IP as an ipv4', () => {
    const addr = planText(SELF_NODE, 'nodix').root.children![0].children![3].children![1];
    expect(addr).toEqual({ name: 'addr', type: 'ipv4', value: '127.0.0.1' });
  });

  it('plans a script as an object of its definitions, each with its declared type and name', () => {
    const plan = planText(SELF_NODE.replace('(NODE_NET_IP)', ''), 'nodix');
    expect(plan).toEqual({
      size: 9,
      root: {
        name: undefined,
        type: 'object',
        children: [
          {
            name: 'SelfNode',
            type: record('NODE_BITCORE_NODE'),
            children: [
              { name: 'user_agent', type: 'str', value: 'nodix' },
              { name: 'version', type: 'u32', value: 60018 },
              { name: 'uPnP', type: 'bool', value: true },
              {
                name: 'p2p_addr',
                type: record('NODE_BITCORE_ADDR'),
                children: [
                  { name: 'services', type: 'u64', value: 0 },
                  { name: 'addr', type: 'str', value: '127.0.0.1' },
                  { name: 'port', type: 'u16', value: 8000 },
                ],
              },
              { name: 'mempool', type: record('NODE_BITCORE_TX_LIST'), children: [] },
            ],
          },
        ],
      },
    });
  });

  it('reads every definition of a script, bare numbers and strings too, and passes over page code', () => {
    const script = [
      'let NODE_MODULE_DEF\tvec = `{"order":0, "file" : "modz/vec3.tpo"}`',
      'let NODE_GFX_INT ping_nonce = 1',
      'let NODE_BITCORE_VSTR http_service_name =  "http_service" ',
      'handler on_ping(node,payload) = ` node_adx.queue_pong_message(node,payload.nonce) success `',
      'event {"cmd=newblock"} newblock_event(node, payload) = `\n push data< payload.block;\n`',
      'let NODE_BITCORE_HASH root_app_hash = 0',
      'let NODE_BITCORE_WALLET_ADDR root_app_addr = 0',
      'let NODE_BITCORE_VSTR http_service = `{}`',
      'let NODE_BITCORE_HASH_LIST  hash_list = `[]`',
    ].join('\r\n');
    expect(planText(script, 'nodix').root.children).toEqual([
      {
        name: 'vec',
        type: record('NODE_MODULE_DEF'),
        children: [
          { name: 'order', type: 'u64', value: 0 },
          { name: 'file', type: 'str', value: 'modz/vec3.tpo' },
        ],
      },
      { name: 'ping_nonce', type: 'u32', value: 1 },
      { name: 'http_service_name', type: 'vstr', value: 'http_service' },
      { name: 'root_app_hash', type: 'hash', value: '0'.repeat(64) },
      { name: 'root_app_addr', type: 'address', value: '' },
      { name: 'http_service', type: 'vstr', value: '' },
      { name: 'hash_list', type: record('NODE_BITCORE_HASH_LIST'), children: [] },
    ]);
  });

  it('uses Nodix defaults without an annotation: 64-bit unsigned unless negative, f32 reals, hex literals', () => {
    const children = planText('{"magic": 0xD9BEFECA, "neg": -1, "r": 0.1, "u": 18446744073709551615, "n": [null], "z": -0}', 'nodix')
      .root.children!;
    expect(children).toEqual([
      { name: 'magic', type: 'u64', value: 0xd9befeca },
      { name: 'neg', type: 'i64', value: -1 },
      { name: 'r', type: 'f32', value: Math.fround(0.1) },
      { name: 'u', type: 'u64', value: 18446744073709551615n },
      { name: 'n', type: 'list', children: [{ name: undefined, type: 'null', value: null }] },
      { name: 'z', type: 'u64', value: 0 },
    ]);
  });

  it('maps each scalar annotation to its Grove type', () => {
    const text = `{
      (NODE_GFX_INT)"int": 4294967295, (NODE_GFX_SIGNED_INT)"sint": -2147483648,
      (NODE_GFX_BINT)"bint": 0xFFFFFFFFFFFFFFFF, (NODE_GFX_SIGNED_BINT)"sbint": -9223372036854775808,
      (NODE_GFX_SHORT)"short": 65535, (NODE_GFX_BOOL)"bool": false, (NODE_GFX_STR)"str": "s",
      (NODE_GFX_FLOAT)"float": 0.1, (NODE_GFX_DOUBLE)"double": 0.1, (NODE_GFX_FLOAT)"fint": 3,
      (NODE_GFX_NULL)"null": null, (NODE_GFX_DATA)"data": "00fFa0",
      (NODE_GFX_OBJECT)"obj": {"a": 1}, (NODE_JSON_ARRAY)"arr": [1],
      (NODE_BITCORE_BLK_HDR)"hdr": {}, (NODE_BITCORE_HASH_LIST)"hashes": [],
      (NODE_BITCORE_WALLET_ADDR_LIST)"addr scan list": null
    }`;
    const types = planText(text, 'nodix').root.children!.map(({ name, type, value }) => [name, type, value]);
    expect(types).toEqual([
      ['int', 'u32', 4294967295],
      ['sint', 'i32', -2147483648],
      ['bint', 'u64', 18446744073709551615n],
      ['sbint', 'i64', -9223372036854775808n],
      ['short', 'u16', 65535],
      ['bool', 'bool', false],
      ['str', 'str', 's'],
      ['float', 'f32', Math.fround(0.1)],
      ['double', 'f64', 0.1],
      ['fint', 'f32', 3],
      ['null', 'null', null],
      ['data', 'bytes', new Uint8Array([0x00, 0xff, 0xa0])],
      ['obj', 'object', undefined],
      ['arr', 'list', undefined],
      ['hdr', record('NODE_BITCORE_BLK_HDR'), undefined],
      ['hashes', record('NODE_BITCORE_HASH_LIST'), undefined],
      ['addr scan list', record('NODE_BITCORE_WALLET_ADDR_LIST'), undefined],
    ]);
  });

  it('plans every name in the Nodix type table', () => {
    const samples: Record<string, string> = {
      str: '"s"', bool: 'true', null: 'null', bytes: '"0a"', object: '{}', list: '[]',
      vec2: '[1, 2]', vec3: '[1, 2, 3]', vec4uc: '[1, 2, 3, 4]', mat3x3: '[1, 0, 0, 0, 1, 0, 0, 0, 1]', rect: '[0, 0, 4, 3]',
      ipv4: '"10.0.0.1"', f32array: '[0.5]', i32array: '[-1]', hash: `"${'ab'.repeat(32)}"`, block_hash: `"${'ab'.repeat(32)}"`,
      tx_hash: `"${'ab'.repeat(32)}"`, pubkey: `"02${'11'.repeat(32)}"`, address: '"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"',
      vstr: '"v"', der_sig: '""',
    };
    const names = nodixNames();
    for (const [nodixName, type] of names) {
      if (isApplicationTypeId(type)) {
        const json = NODIX_RECORDS.find((r) => r.name === nodixName)!.json === 'object' ? '{"a": 1}' : '[1]';
        expect(only(`{(${nodixName})"k": ${json}}`, 'nodix').type).toBe(type);
        continue;
      }
      expect(isTypeName(type)).toBe(true);
      const sample = nodixName === 'NODE_MD5_HASH' ? `"${'ab'.repeat(16)}"` : (samples[type] ?? '1');
      expect(only(`{(${nodixName})"k": ${sample}}`, 'nodix').type).toBe(type);
    }
    // every record type of libbase's type_hash.h has a name here (its *_crc defines)
    const header = readFileSync(new URL('../../shared/data/nodix/type_hash.h', import.meta.url), 'utf8');
    const known = new Set(names.map(([name]) => name));
    const missing = [...header.matchAll(/#define (NODE_\w+)_crc/g)].map((m) => m[1]!).filter((name) => !known.has(name));
    expect(missing).toEqual([]);
  });

  it.each([
    ['{\n  (NODE_MODULE_DEFS)"sign_mod": {}}', 'unknown Nodix type (NODE_MODULE_DEFS) (at /sign_mod, line 2, column 3)'],
    ['{(constructor)"a": 1}', 'unknown Nodix type (constructor) (at /a, line 1, column 2)'],
    [
      '{"pos": {(NODE_RT_VEC3)"at": [1, 2]}}',
      '(NODE_RT_VEC3)"at": cannot convert f64array [1, 2] to vec3: it has 2 elements, a vec3 has 3 (at /pos/at, line 1, column 30)',
    ],
    [
      '{(NODE_BITCORE_HASH)"h": "00"}',
      '(NODE_BITCORE_HASH)"h": cannot convert str "00" to hash: a hash is 64 hex digits (at /h, line 1, column 26)',
    ],
    [
      '{"p2p_addr": {(NODE_GFX_SHORT)"port": 70000}}',
      '(NODE_GFX_SHORT)"port": 70000 is out of range for u16 (0 to 65535) (at /p2p_addr/port, line 1, column 39)',
    ],
    [
      '{(NODE_GFX_INT)"version": "60018"}',
      '(NODE_GFX_INT)"version" must be an integer for u32, not a string (at /version, line 1, column 27)',
    ],
    ['{(NODE_GFX_INT)"v": 1.5}', '(NODE_GFX_INT)"v" must be an integer for u32, not 1.5 (at /v, line 1, column 21)'],
    ['{(NODE_GFX_INT)"v": -1}', '(NODE_GFX_INT)"v": -1 is out of range for u32 (0 to 4294967295) (at /v, line 1, column 21)'],
    [
      '{(NODE_GFX_SIGNED_INT)"v": 2147483648}',
      '(NODE_GFX_SIGNED_INT)"v": 2147483648 is out of range for i32 (-2147483648 to 2147483647) (at /v, line 1, column 28)',
    ],
    ['{(NODE_GFX_BOOL)"b": 1}', '(NODE_GFX_BOOL)"b" must be true or false for bool, not 1 (at /b, line 1, column 22)'],
    ['{(NODE_GFX_STR)"s": null}', '(NODE_GFX_STR)"s" must be a string for str, not null (at /s, line 1, column 21)'],
    ['{(NODE_GFX_NULL)"n": 0}', '(NODE_GFX_NULL)"n" must be null for null, not 0 (at /n, line 1, column 22)'],
    ['{(NODE_GFX_FLOAT)"f": 1e39}', '(NODE_GFX_FLOAT)"f": 1e39 is too large for f32 (at /f, line 1, column 23)'],
    ['{(NODE_GFX_DOUBLE)"f": true}', '(NODE_GFX_DOUBLE)"f" must be a number for f64, not true (at /f, line 1, column 24)'],
    ['{(NODE_GFX_DATA)"d": "abc"}', '(NODE_GFX_DATA)"d": bytes must be an even number of hex digits (at /d, line 1, column 22)'],
    ['{(NODE_GFX_DATA)"d": "zz"}', '(NODE_GFX_DATA)"d": bytes must be an even number of hex digits (at /d, line 1, column 22)'],
    ['{(NODE_GFX_OBJECT)"o": []}', '(NODE_GFX_OBJECT)"o" must be an object for object, not an array (at /o, line 1, column 24)'],
    ['{(NODE_BITCORE_TX_LIST)"m": {}}', '(NODE_BITCORE_TX_LIST)"m" must be an array for NODE_BITCORE_TX_LIST, not an object (at /m, line 1, column 29)'],
    ['{(NODE_MODULE_DEF)"m": [1]}', '(NODE_MODULE_DEF)"m" must be an object for NODE_MODULE_DEF, not an array (at /m, line 1, column 24)'],
    ['{(NODE_GFX_STR)"s": {"a": 1}}', '(NODE_GFX_STR)"s" must be a string for str, not an object (at /s, line 1, column 21)'],
    ['{(NODE_MD5_HASH)"m": "00"}', '(NODE_MD5_HASH)"m": an MD5 hash is 16 bytes, not 1 (at /m, line 1, column 22)'],
    ['{(NODE_GFX_SHORT)"s": 0, (NODE_BITCORE_HASH)"h": 1}', '(NODE_BITCORE_HASH)"h" must be a string for hash, not 1 (at /h, line 1, column 50)'],
    ['{"a": [{"b": 1e39}]}', 'number 1e39 is too large for f32 (at /a/0/b, line 1, column 14)'],
    ['"text"', 'a Nodix definition is an object or an array (at the top level, line 1, column 1)'],
  ])('rejects %j', (text, message) => {
    expect(planError(text, 'nodix').message).toBe(message);
  });

  it('accepts the script form with any whitespace and applies the declared type', () => {
    expect(planText('\n let\tNODE_JSON_ARRAY  items=`[1, 2]`\n', 'nodix').root.children).toEqual([
      {
        name: 'items',
        type: 'list',
        children: [
          { name: undefined, type: 'u64', value: 1 },
          { name: undefined, type: 'u64', value: 2 },
        ],
      },
    ]);
    expect(planText('let NODE_GFX_OBJECT configuration = `\n{\n\t"magic":0xD9BEFECA\n}`', 'nodix').root.children).toEqual([
      { name: 'configuration', type: 'object', children: [{ name: 'magic', type: 'u64', value: 0xd9befeca }] },
    ]);
  });

  it('checks the declared type against the definition', () => {
    expect(planError('let NODE_BITCORE_TX_LIST mempool = `{}`', 'nodix').message).toBe(
      '(NODE_BITCORE_TX_LIST)"mempool" must be an array for NODE_BITCORE_TX_LIST, not an object (at /mempool, line 1, column 37)',
    );
    expect(planError('let NODE_GFX_INT n = `{}`', 'nodix').message).toMatch(/^\(NODE_GFX_INT\)"n" must be an integer/);
    expect(planError('let NODE_NET_IP ip = `[]`', 'nodix').message).toBe(
      '(NODE_NET_IP)"ip" must be a string for ipv4, not an array (at /ip, line 1, column 23)',
    );
    expect(planError('let NODE_BITCORE_VSTR v = `{"a": 1}`', 'nodix').message).toBe(
      '(NODE_BITCORE_VSTR)"v" must be a string for vstr, not an object (at /v, line 1, column 28)',
    );
  });

  it('reports positions in the script, not in the extracted JSON', () => {
    expect(planError('let NODE_GFX_OBJECT c = `{\n  (NODE_GFX_SHORT)"port": -1}`', 'nodix').message).toBe(
      '(NODE_GFX_SHORT)"port": -1 is out of range for u16 (0 to 65535) (at /c/port, line 2, column 27)',
    );
    expect(() => planText('let NODE_GFX_OBJECT c = `{"a" 1}`', 'nodix')).toThrow(
      "expected ':' after key but found '1' at line 1, column 31",
    );
  });

  it.each([
    ['let SelfNode = `{}`', 'expected a definition of the form let TYPE name = `{ ... }` at line 1, column 1'],
    ['  let NODE_GFX_OBJECT c = {}', 'expected a definition of the form let TYPE name = `{ ... }` at line 1, column 3'],
    ['let NODE_GFX_OBJECT c = `{}', "expected '`' to close the definition at line 1, column 28"],
    ['let NODE_GFX_OBJECT c = `{} x`', "expected '`' to close the definition at line 1, column 29"],
    ['let NODE_GFX_OBJECT a = `{}`\nproc p() = code', 'expected a definition (let TYPE name = `...`) or a block of script code (KIND name = `...`) at line 2, column 1'],
    ['let NODE_GFX_OBJECT a = `{}`\n{}', 'expected a definition (let TYPE name = `...`) or a block of script code (KIND name = `...`) at line 2, column 1'],
    ['page index = `never closed', "this block of script code has no closing '`' at line 1, column 1"],
  ])('rejects the malformed script %j', (text, message) => {
    let error: unknown;
    try {
      planText(text, 'nodix');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JsonTextError);
    expect((error as Error).message).toBe(message);
  });
});
