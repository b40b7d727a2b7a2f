// The JSON forms of the geometry, array and chain types' values (include/grove/forms.h),
// read into the values the tree takes: vectors and arrays as arrays of numbers, hashes,
// keys, signatures, addresses, IPv4 addresses and vstr as strings, vint as an integer.
// Each value is then checked by the core's own exact conversion, so an import refuses a
// value by the same rule, with the same message, as a write would, before anything is
// built.

import { GroveError } from '../errors.js';
import { native } from '../native.js';
import { type LeafValue, TYPE_IDS, type TypeName } from '../types.js';
import type { JsonNode } from './jsonText.js';
import { describeValue, NodeProblem } from './plan.js';
import { fitsInteger, floatValue, integerValue, rangeText } from './values.js';

/** The types whose values are numbers listed in a JSON array, and the kind of those numbers. */
const ELEMENTS = {
  vec2: 'f32',
  vec3: 'f32',
  vec4uc: 'u8',
  mat3x3: 'f32',
  rect: 'i32',
  f32array: 'f32',
  f64array: 'f64',
  i32array: 'i32',
  i16array: 'i16',
  u8array: 'u8',
} as const;

/** The types whose values are JSON strings. */
const TEXTS = new Set<string>(['hash', 'block_hash', 'tx_hash', 'pubkey', 'address', 'ipv4', 'vstr', 'der_sig']);

export type FormedType = keyof typeof ELEMENTS | 'hash' | 'block_hash' | 'tx_hash' | 'pubkey' | 'address' | 'ipv4' | 'vstr' | 'der_sig' | 'vint';

export function isFormedType(type: TypeName): type is FormedType {
  return Object.hasOwn(ELEMENTS, type) || TEXTS.has(type) || type === 'vint';
}

const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

/**
 * The value of a formed type from its JSON form. `typed`: typed JSON, where float elements
 * may also be "NaN", "Infinity", "-Infinity" or "-0" and a vint beyond 2^53 is a decimal
 * string; otherwise a Nodix definition, which writes numbers only. `label` starts messages.
 */
export function formedValue(value: JsonNode, type: FormedType, typed: boolean, label: string): LeafValue {
  const mismatch = (expected: string) =>
    new NodeProblem(`${label} must be ${expected} for ${type}, not ${describeValue(value)}`, value.offset, 'TYPE_MISMATCH');
  let raw: LeafValue;
  if (type === 'vint') {
    raw = vintValue(value, typed, mismatch);
  } else if (TEXTS.has(type)) {
    if (value.kind !== 'string') throw mismatch('a string');
    raw = value.value;
  } else {
    if (value.kind !== 'array') throw mismatch('an array of numbers');
    const element = ELEMENTS[type as keyof typeof ELEMENTS];
    raw = value.items.map((item, i) => elementValue(item, element, typed, `${label}[${i}]`));
  }
  try {
    return native.convertValue(raw, TYPE_IDS[type]);
  } catch (error) {
    if (error instanceof GroveError) throw new NodeProblem(`${label}: ${error.message}`, value.offset, 'TYPE_MISMATCH');
    throw error;
  }
}

function elementValue(item: JsonNode, element: (typeof ELEMENTS)[keyof typeof ELEMENTS], typed: boolean, label: string): number {
  const float = element === 'f32' || element === 'f64';
  if (typed && float && item.kind === 'string' && SPECIAL_FLOATS.has(item.value)) return SPECIAL_FLOATS.get(item.value)!;
  if (item.kind !== 'number' || (!float && !item.integer)) {
    throw new NodeProblem(`${label} must be ${float ? 'a number' : 'an integer'}, not ${describeValue(item)}`, item.offset, 'TYPE_MISMATCH');
  }
  if (!float) return Number(integerValue(item.text));  // a bigint is out of every element range: the check says so
  // f32 elements round as f32 scalars do (C's (float)strtod, as in Nodix).
  const x = floatValue(item.text, element);
  if (x === undefined) throw new NodeProblem(`${label}: ${item.text} is too large for ${element}`, item.offset, 'TYPE_MISMATCH');
  return x;
}

function vintValue(value: JsonNode, typed: boolean, mismatch: (expected: string) => NodeProblem): number | bigint {
  let integer: number | bigint;
  if (value.kind === 'number' && value.integer) {
    integer = integerValue(value.text);
    if (typed && typeof integer === 'bigint') {
      throw new NodeProblem(`${value.text} is beyond 2^53: write it as the string "${value.text}"`, value.offset, 'TYPE_MISMATCH');
    }
  } else if (typed && value.kind === 'string' && /^(?:0|[1-9][0-9]*)$/.test(value.value)) {
    integer = integerValue(value.value);
    if (typeof integer === 'number') {
      throw new NodeProblem(`"${value.value}" is within 2^53: write it as the number ${value.value}`, value.offset, 'TYPE_MISMATCH');
    }
  } else {
    throw mismatch('an integer');
  }
  if (!fitsInteger(integer, 'u64')) throw new NodeProblem(`${integer} is out of range for vint (${rangeText('u64')})`, value.offset, 'TYPE_MISMATCH');
  return integer;
}
