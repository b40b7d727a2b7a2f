import { describe, expect, it } from 'vitest';
import { planText } from '../src/codec/import.js';
import { PlanError, type PlanNode } from '../src/codec/plan.js';

function typedError(text: string): PlanError {
  try {
    planText(text, 'typed');
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return error as PlanError;
  }
  throw new Error(`expected ${text} to be rejected`);
}

/** A document whose root object holds the given typed nodes. */
function doc(...children: string[]): string {
  return `{"name": "", "type": "object", "children": [${children.join(', ')}]}`;
}

function leaf(type: string, value: string, name = 'v'): string {
  return `{"name": "${name}", "type": "${type}", "value": ${value}}`;
}

function leafValue(type: string, value: string): unknown {
  return planText(doc(leaf(type, value)), 'typed').root.children![0].value;
}

describe('typed JSON', () => {
  it('reads every type with its exact value', () => {
    const text = doc(
      leaf('null', 'null', 'n'),
      leaf('bool', 'true', 'b'),
      leaf('i8', '-128', 'i8'),
      leaf('i16', '32767', 'i16'),
      leaf('i32', '-2147483648', 'i32'),
      leaf('i64', '"-9223372036854775808"', 'i64'),
      leaf('u8', '255', 'u8'),
      leaf('u16', '65535', 'u16'),
      leaf('u32', '4294967295', 'u32'),
      leaf('u64', '"18446744073709551615"', 'u64'),
      leaf('f32', '0.1', 'f32'),
      leaf('f64', '0.1', 'f64'),
      leaf('str', '"héllo"', 'str'),
      leaf('bytes', '"AAEC/w=="', 'bytes'),
      `{"name": "o", "type": "object", "children": [${leaf('u64', '9007199254740992', 'safe')}]}`,
      `{"name": "l", "type": "list", "children": [${leaf('str', '"x"', '#12')}, ${leaf('str', '"y"', '')}]}`,
    );
    const expected: PlanNode[] = [
      { name: 'n', type: 'null', value: null },
      { name: 'b', type: 'bool', value: true },
      { name: 'i8', type: 'i8', value: -128 },
      { name: 'i16', type: 'i16', value: 32767 },
      { name: 'i32', type: 'i32', value: -2147483648 },
      { name: 'i64', type: 'i64', value: -9223372036854775808n },
      { name: 'u8', type: 'u8', value: 255 },
      { name: 'u16', type: 'u16', value: 65535 },
      { name: 'u32', type: 'u32', value: 4294967295 },
      { name: 'u64', type: 'u64', value: 18446744073709551615n },
      { name: 'f32', type: 'f32', value: Math.fround(0.1) },
      { name: 'f64', type: 'f64', value: 0.1 },
      { name: 'str', type: 'str', value: 'héllo' },
      { name: 'bytes', type: 'bytes', value: new Uint8Array([0, 1, 2, 255]) },
      { name: 'o', type: 'object', children: [{ name: 'safe', type: 'u64', value: 9007199254740992 }] },
      {
        name: 'l',
        type: 'list',
        children: [
          { name: '#12', type: 'str', value: 'x' },
          { name: undefined, type: 'str', value: 'y' },
        ],
      },
    ];
    expect(planText(text, 'typed')).toEqual({ size: 19, root: { name: undefined, type: 'object', children: expected } });
  });

  it('reads the special float strings', () => {
    expect(leafValue('f64', '"NaN"')).toBeNaN();
    expect(leafValue('f32', '"Infinity"')).toBe(Infinity);
    expect(leafValue('f64', '"-Infinity"')).toBe(-Infinity);
    expect(Object.is(leafValue('f32', '"-0"'), -0)).toBe(true);
    expect(Object.is(leafValue('f64', '-0.0'), -0)).toBe(true);
    expect(leafValue('f32', '3.4028235e38')).toBe(3.4028234663852886e38);
    expect(leafValue('f64', '5e-324')).toBe(5e-324);
  });

  it('reads a top-level list, and a top-level leaf', () => {
    expect(planText(`{"name": "", "type": "list", "children": [${leaf('bool', 'false', '')}]}`, 'typed').root).toEqual({
      name: undefined,
      type: 'list',
      children: [{ name: undefined, type: 'bool', value: false }],
    });
    expect(planText(leaf('u8', '7', 'top'), 'typed')).toEqual({ size: 0, root: { name: undefined, type: 'u8', value: 7 } });
  });

  it.each([
    ['[]', '', 'a typed JSON node must be an object, not an array'],
    [doc('1'), '/children/0', 'a typed JSON node must be an object, not 1'],
    [doc('{"name": "a", "type": "u8", "value": 1, "extra": 2}'), '/children/0', 'unknown field "extra"'],
    [doc('{"name": "a", "type": "u8", "value": 1, "type": "u8"}'), '/children/0', 'duplicate field "type"'],
    [doc('{"name": "a", "value": 1}'), '/children/0', 'missing field "type"'],
    [doc('{"type": "u8", "value": 1}'), '/children/0', 'missing field "name"'],
    [doc('{"name": "a", "type": "u8"}'), '/children/0', 'missing field "value"'],
    [doc('{"name": "a", "type": "object"}'), '/children/0', 'missing field "children"'],
    [doc('{"name": "a", "type": 3, "value": 1}'), '/children/0', '"type" must be a string'],
    [doc('{"name": "a", "type": "i128", "value": 1}'), '/children/0', 'unknown type "i128"'],
    [doc('{"name": "a", "type": "hash", "value": "00"}'), '/children/0', 'value: cannot convert str "00" to hash: a hash is 64 hex digits'],
    [doc('{"name": "a", "type": "0x01000001", "children": []}'), '/children/0', 'unknown type "0x01000001"'],
    [doc('{"name": 5, "type": "u8", "value": 1}'), '/children/0', '"name" must be a string'],
    [doc(leaf('u8', '1', '')), '/children/0', 'a name must not be empty'],
    [doc(leaf('u8', '1', 'a/b')), '/children/0', `name "a/b": '/' separates names in a path`],
    [doc('{"name": "a", "type": "object", "children": {}}'), '/children/0', '"children" must be an array'],
    [doc('{"name": "a", "type": "list", "children": [], "value": null}'), '/children/0', 'type list takes "children", not "value"'],
    [doc('{"name": "a", "type": "str", "value": "", "children": []}'), '/children/0', 'type str takes "value", not "children"'],
    [doc(leaf('u16', '70000')), '/children/0', '70000 is out of range for u16 (0 to 65535)'],
    [doc(leaf('u64', '-1')), '/children/0', '-1 is out of range for u64 (0 to 18446744073709551615)'],
    [doc(leaf('i64', '"9223372036854775808"')), '/children/0', '9223372036854775808 is out of range for i64 (-9223372036854775808 to 9223372036854775807)'],
    [doc(leaf('u64', '18446744073709551615')), '/children/0', '18446744073709551615 is beyond 2^53: write it as the string "18446744073709551615"'],
    [doc(leaf('u32', '"42"')), '/children/0', '"42" is within 2^53: write it as the number 42'],
    [doc(leaf('u32', '"0x10"')), '/children/0', 'value must be an integer for u32, not a string'],
    [doc(leaf('i32', '1.0')), '/children/0', 'value must be an integer for i32, not 1.0'],
    [doc(leaf('i32', '1e3')), '/children/0', 'value must be an integer for i32, not 1e3'],
    [doc(leaf('bool', '0')), '/children/0', 'value must be true or false for bool, not 0'],
    [doc(leaf('null', 'false')), '/children/0', 'value must be null for null, not false'],
    [doc(leaf('str', '1')), '/children/0', 'value must be a string for str, not 1'],
    [doc(leaf('f64', '"nan"')), '/children/0', 'value must be a number, "NaN", "Infinity", "-Infinity" or "-0" for f64, not a string'],
    [doc(leaf('f32', '1e39')), '/children/0', '1e39 is too large for f32'],
    [doc(leaf('f64', '1e400')), '/children/0', '1e400 is too large for f64'],
    [doc(leaf('bytes', '[1]')), '/children/0', 'value must be a base64 string for bytes, not an array'],
    [doc(leaf('bytes', '"AAE"')), '/children/0', 'bytes must be canonical base64 (padded, standard alphabet)'],
    [doc(leaf('bytes', '"AAF="')), '/children/0', 'bytes must be canonical base64 (padded, standard alphabet)'],
    [doc(leaf('bytes', '"AA-_"')), '/children/0', 'bytes must be canonical base64 (padded, standard alphabet)'],
    [doc(leaf('bytes', '"AA E"')), '/children/0', 'bytes must be canonical base64 (padded, standard alphabet)'],
  ])('rejects %s', (text, pointer, problem) => {
    const error = typedError(text);
    expect(error.pointer).toBe(pointer);
    expect(error.message.startsWith(`${problem} (at ${pointer || 'the top level'}, line 1, column `)).toBe(true);
  });

  it('names a deep node by its JSON pointer, line and column', () => {
    const text = `{"name": "", "type": "object", "children": [
  {"name": "a", "type": "u8", "value": 1},
  {"name": "b", "type": "list", "children": [
    {"name": "", "type": "object", "children": [
      {"name": "port", "type": "u16", "value": 65536}
    ]}
  ]}
]}`;
    const error = typedError(text);
    expect(error.message).toBe('65536 is out of range for u16 (0 to 65535) (at /children/1/children/0/children/0, line 5, column 48)');
    expect([error.pointer, error.line, error.column]).toEqual(['/children/1/children/0/children/0', 5, 48]);
  });
});
