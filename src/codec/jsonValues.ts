// Leaf values written as JSON, as the native exporter writes them (include/grove/json.h):
// integers beyond ±2^53 as decimal strings; non-finite floats as "NaN", "Infinity",
// "-Infinity" (and, in typed JSON, negative zero as "-0"); bytes as base64; vectors and
// arrays as arrays of numbers; the other types as they come (strings and booleans). For
// code that holds values in JavaScript and must write them in the wire formats, or read
// a value of a known type back from them.
import { GroveError } from '../errors.js';
import type { JsonValue, LeafValue, TypeName } from '../types.js';

const EXACT_LIMIT = 2n ** 53n;

/** The types whose numbers are f32: written, as the exporter writes them, in their shortest f32 form. */
const F32_TYPES = new Set<TypeName | undefined>(['f32', 'vec2', 'vec3', 'mat3x3', 'f32array']);

/** A leaf value in plain JSON; `type` tells a u8array (numbers) from bytes (base64). */
export function plainJsonValue(value: LeafValue, type?: TypeName): JsonValue {
  return jsonValue(value, type, false);
}

/** A leaf value in typed JSON; `type` tells a u8array (numbers) from bytes (base64). */
export function typedJsonValue(value: LeafValue, type?: TypeName): JsonValue {
  return jsonValue(value, type, true);
}

function jsonValue(value: LeafValue, type: TypeName | undefined, typed: boolean): JsonValue {
  const f32 = F32_TYPES.has(type);
  if (typeof value === 'bigint') return value >= -EXACT_LIMIT && value <= EXACT_LIMIT ? Number(value) : value.toString();
  if (typeof value === 'number') return numberValue(value, typed, f32);
  if (value instanceof Uint8Array && type !== 'u8array') {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return Array.from(value as ArrayLike<number>, (x) => numberValue(x, typed, f32));
  }
  return value;
}

function numberValue(x: number, typed: boolean, f32: boolean): number | string {
  if (typed && Object.is(x, -0)) return '-0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  return f32 && x !== 0 ? shortestF32(x) : x;
}

/** The number with the fewest digits that is the same f32 as x (0.1 for Math.fround(0.1)). */
function shortestF32(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(x.toPrecision(digits));
    if (Math.fround(shorter) === x) return shorter;
  }
  return x;
}

const INTEGER_TYPES = new Set<TypeName>(['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'vint']);
const NUMBER_LIST_TYPES = new Set<TypeName>([
  'vec2', 'vec3', 'vec4uc', 'mat3x3', 'rect', 'f32array', 'f64array', 'i32array', 'i16array', 'u8array',
]);
const SPECIAL_FLOATS: ReadonlyMap<unknown, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

/**
 * A value of `type` from its plain (or typed) JSON encoding, as the tree takes it: decimal
 * strings of integers as bigint, base64 as bytes, the strings of non-finite floats as
 * numbers, arrays of numbers as they are. Whether the value fits the type is the tree's
 * exact conversion to decide (so an f32 number must be an exact f32, where typed import
 * reads the nearest one); TYPE_MISMATCH here, naming `path`, only for an encoding the
 * type never has.
 */
export function leafFromJson(value: unknown, type: TypeName, path?: string): LeafValue {
  const refuse = (expected: string) => {
    const shown = JSON.stringify(value) ?? String(value);
    const where = path === undefined ? '' : ` at "${path}"`;
    return new GroveError(
      'TYPE_MISMATCH',
      `a ${type} value${where} must be ${expected}, got ${shown.length > 40 ? `${shown.slice(0, 40)}...` : shown}`,
      path,
    );
  };
  if (NUMBER_LIST_TYPES.has(type)) {
    if (!Array.isArray(value)) throw refuse('an array of numbers');
    return value.map((x) => {
      const number = typeof x === 'number' ? x : SPECIAL_FLOATS.get(x);
      if (number === undefined) throw refuse('an array of numbers');
      return number;
    });
  }
  if (typeof value === 'string') {
    if (INTEGER_TYPES.has(type)) {
      if (!/^-?(?:0|[1-9][0-9]*)$/.test(value)) throw refuse('an integer or a decimal string');
      return BigInt(value);
    }
    if ((type === 'f32' || type === 'f64') && SPECIAL_FLOATS.has(value)) return SPECIAL_FLOATS.get(value)!;
    if (type === 'bytes') {
      const bytes = Buffer.from(value, 'base64');
      if (bytes.toString('base64') !== value) throw refuse('base64 text');
      return new Uint8Array(bytes);
    }
  }
  if (value !== null && typeof value === 'object') throw refuse(`a ${type} value`);
  return value as LeafValue;
}
