// Grove's typed JSON, the exact round-trip format the native exporter writes
// (include/grove/json.h). Every node is
//   {"name": "...", "type": "<leaf type>", "value": <value>}  or
//   {"name": "...", "type": "object" | "list", "children": [<node>, ...]}
// with values: bool as true/false; integers (and vint) as JSON numbers when |v| <= 2^53,
// else as decimal strings; f32/f64 as numbers, or "NaN", "Infinity", "-Infinity", "-0";
// str as a string; bytes as canonical base64; null as null; vectors and arrays as arrays
// of numbers (with the same four strings for float elements); the chain types and ipv4 as
// their text (codec/forms.ts). An application type is its id, "0x10000001", and holds
// children. The name "" means unnamed: the tree's root, or a list item the tree will
// name. Reading is strict, and every error names the node by its JSON pointer.

import { JsonTreeBuilder, type JsonNode } from './jsonText.js';
import type { JsonHandler, JsonScalar } from './jsonTokens.js';
import { formedValue, isFormedType } from './forms.js';
import { describeValue, nameProblem, NodeProblem, type NodeSink, type PlanType } from './plan.js';
import { isApplicationTypeId, isStructured, isTypeName, type LeafValue, type TypeName } from '../types.js';
import {
  bytesFromBase64,
  fitsInteger,
  floatValue,
  integerValue,
  rangeText,
  type IntegerType,
} from './values.js';

const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

const NODE = 0;
const CHILDREN = 1;

/** A typed node being read: the fields seen so far. */
interface NodeFrame {
  readonly kind: typeof NODE;
  readonly offset: number;
  /** The type of the node holding it; undefined at the top. */
  readonly parentType: PlanType | undefined;
  name?: JsonNode;
  type?: JsonNode;
  value?: JsonNode;
  /** The field whose value comes next. */
  field: Field;
  /** Where "children" starts, once it did: the node was opened in the sink. */
  children?: number;
  plan?: { name: string | undefined; type: PlanType };
}

/** The "children" array of a structured node; `index` is the item being read. */
interface ChildrenFrame {
  readonly kind: typeof CHILDREN;
  readonly type: PlanType;
  index: number;
}

type Field = 'name' | 'type' | 'value' | 'children';

/**
 * Typed JSON as node events. A structured node is opened as soon as its "children" begin,
 * so its "name" and "type" must come before them (as the exporter writes them); fields of
 * a leaf may come in any order.
 */
export class TypedReader implements JsonHandler {
  readonly #frames: (NodeFrame | ChildrenFrame)[] = [];
  #collecting: JsonTreeBuilder | undefined;

  constructor(private readonly sink: NodeSink) {}

  /** The JSON pointer of the node being read. */
  pointer(): string {
    let pointer = '';
    for (const frame of this.#frames) if (frame.kind === CHILDREN) pointer += `/children/${frame.index}`;
    return pointer;
  }

  beginObject(offset: number): void {
    if (this.#collecting !== undefined) return this.#collecting.beginObject(offset);
    const frame = this.#frames[this.#frames.length - 1];
    if (frame === undefined || frame.kind === CHILDREN) {
      if (frame !== undefined) frame.index++;
      this.#frames.push({ kind: NODE, offset, parentType: frame?.type, field: 'name' });
      return;
    }
    this.#fieldValue(frame, offset);
    this.#collect(frame).beginObject(offset);
  }

  beginArray(offset: number): void {
    if (this.#collecting !== undefined) return this.#collecting.beginArray(offset);
    const frame = this.#frames[this.#frames.length - 1];
    if (frame === undefined || frame.kind === CHILDREN) {
      if (frame !== undefined) frame.index++;
      throw new NodeProblem('a typed JSON node must be an object, not an array', offset);
    }
    if (frame.field === 'children') return this.#openChildren(frame, offset);
    this.#fieldValue(frame, offset);
    this.#collect(frame).beginArray(offset);
  }

  key(key: string, annotation: string | undefined, offset: number): void {
    if (this.#collecting !== undefined) return this.#collecting.key(key, annotation, offset);
    const frame = this.#frames[this.#frames.length - 1] as NodeFrame;
    if (key !== 'name' && key !== 'type' && key !== 'value' && key !== 'children') {
      throw new NodeProblem(`unknown field ${JSON.stringify(key)}`, offset);
    }
    if (key === 'children' ? frame.children !== undefined : frame[key] !== undefined) {
      throw new NodeProblem(`duplicate field "${key}"`, offset);
    }
    frame.field = key;
  }

  scalar(value: JsonScalar): void {
    if (this.#collecting !== undefined) return this.#collecting.scalar(value);
    const frame = this.#frames[this.#frames.length - 1];
    if (frame === undefined || frame.kind === CHILDREN) {
      if (frame !== undefined) frame.index++;
      throw new NodeProblem(`a typed JSON node must be an object, not ${describeValue(value)}`, value.offset);
    }
    this.#fieldValue(frame, value.offset);
    frame[frame.field as Exclude<Field, 'children'>] = value;
  }

  end(): void {
    if (this.#collecting !== undefined) return this.#collecting.end();
    const frame = this.#frames[this.#frames.length - 1]!;
    if (frame.kind === CHILDREN) {
      this.#frames.pop();
      return;
    }
    if (frame.children !== undefined) {
      this.#frames.pop();
      this.sink.close();
      return;
    }
    const { name, type } = this.#header(frame);
    if (isStructuredType(type)) {
      if (frame.value !== undefined) throw new NodeProblem(`type ${type} takes "children", not "value"`, frame.value.offset);
      throw new NodeProblem('missing field "children"', frame.offset);
    }
    const value = required(frame.value, 'value', frame);
    const leaf = readValue(value, type as Exclude<TypeName, 'object' | 'list'>);
    this.#frames.pop();
    this.sink.leaf(name, type, leaf);
  }

  /** Checks that the field whose value begins at `offset` takes one. */
  #fieldValue(frame: NodeFrame, offset: number): void {
    if (frame.field === 'children') throw new NodeProblem('"children" must be an array', offset);
    if (frame.field === 'value' && frame.children !== undefined) {
      throw new NodeProblem(`type ${frame.plan!.type} takes "children", not "value"`, offset);
    }
  }

  #collect(frame: NodeFrame): JsonTreeBuilder {
    const field = frame.field as Exclude<Field, 'children'>;
    this.#collecting = new JsonTreeBuilder((value) => {
      this.#collecting = undefined;
      frame[field] = value;
    });
    return this.#collecting;
  }

  #openChildren(frame: NodeFrame, offset: number): void {
    for (const field of ['type', 'name'] as const) {
      if (frame[field] === undefined) {
        throw new NodeProblem(`"${field}" must come before "children" (as grove export writes them)`, offset);
      }
    }
    const { name, type } = this.#header(frame);
    if (!isStructuredType(type)) throw new NodeProblem(`type ${type} takes "value", not "children"`, offset);
    if (frame.value !== undefined) throw new NodeProblem(`type ${type} takes "children", not "value"`, frame.value.offset);
    frame.children = offset;
    frame.plan = { name, type };
    this.sink.open(name, type);
    this.#frames.push({ kind: CHILDREN, type, index: -1 });
  }

  /** The node's type and name, checked. */
  #header(frame: NodeFrame): { name: string | undefined; type: PlanType } {
    const typeField = required(frame.type, 'type', frame);
    if (typeField.kind !== 'string') throw new NodeProblem('"type" must be a string', typeField.offset);
    const type = typeField.value;
    if (!isTypeName(type) && !isApplicationTypeId(type)) throw new NodeProblem(`unknown type ${JSON.stringify(type)}`, typeField.offset);
    return { name: readName(required(frame.name, 'name', frame), frame.parentType), type };
  }
}

function isStructuredType(type: PlanType): boolean {
  return !isTypeName(type) || isStructured(type);
}

function required(field: JsonNode | undefined, key: string, frame: NodeFrame): JsonNode {
  if (field === undefined) throw new NodeProblem(`missing field "${key}"`, frame.offset);
  return field;
}

function readName(field: JsonNode, parentType: PlanType | undefined): string | undefined {
  if (field.kind !== 'string') throw new NodeProblem('"name" must be a string', field.offset);
  const name = field.value;
  // The top level's own name is not used: an import adds its children. In a list, and
  // in an application type (a Nodix record list), "" is a child the tree names.
  if (parentType === undefined || (name === '' && (parentType === 'list' || isApplicationTypeId(parentType)))) return undefined;
  const problem = nameProblem(name);
  if (problem !== undefined) throw new NodeProblem(problem, field.offset);
  return name;
}

function readValue(value: JsonNode, type: Exclude<TypeName, 'object' | 'list'>): LeafValue {
  if (isFormedType(type)) return formedValue(value, type, true, 'value');
  const mismatch = (expected: string) =>
    new NodeProblem(`value must be ${expected} for ${type}, not ${describeValue(value)}`, value.offset, 'TYPE_MISMATCH');
  switch (type) {
    case 'null':
      if (value.kind !== 'null') throw mismatch('null');
      return null;
    case 'bool':
      if (value.kind !== 'bool') throw mismatch('true or false');
      return value.value;
    case 'str':
      if (value.kind !== 'string') throw mismatch('a string');
      return value.value;
    case 'bytes': {
      if (value.kind !== 'string') throw mismatch('a base64 string');
      const bytes = bytesFromBase64(value.value);
      if (bytes === undefined) {
        throw new NodeProblem('bytes must be canonical base64 (padded, standard alphabet)', value.offset, 'TYPE_MISMATCH');
      }
      return bytes;
    }
    case 'f32':
    case 'f64': {
      if (value.kind === 'string' && SPECIAL_FLOATS.has(value.value)) return SPECIAL_FLOATS.get(value.value)!;
      if (value.kind !== 'number') throw mismatch('a number, "NaN", "Infinity", "-Infinity" or "-0"');
      const float = floatValue(value.text, type);
      if (float === undefined) throw new NodeProblem(`${value.text} is too large for ${type}`, value.offset, 'TYPE_MISMATCH');
      return float;
    }
    default:
      return readInteger(value, type);
  }
}

/** Integers are numbers up to 2^53 in magnitude and decimal strings beyond: nothing else. */
function readInteger(value: JsonNode, type: IntegerType): number | bigint {
  let integer: number | bigint;
  if (value.kind === 'number' && value.integer) {
    integer = integerValue(value.text);
    if (typeof integer === 'bigint') {
      throw new NodeProblem(`${value.text} is beyond 2^53: write it as the string "${value.text}"`, value.offset, 'TYPE_MISMATCH');
    }
  } else if (value.kind === 'string' && DECIMAL_INTEGER.test(value.value)) {
    integer = integerValue(value.value);
    if (typeof integer === 'number') {
      throw new NodeProblem(`"${value.value}" is within 2^53: write it as the number ${value.value}`, value.offset, 'TYPE_MISMATCH');
    }
  } else {
    throw new NodeProblem(`value must be an integer for ${type}, not ${describeValue(value)}`, value.offset, 'TYPE_MISMATCH');
  }
  if (!fitsInteger(integer, type)) {
    throw new NodeProblem(`${integer} is out of range for ${type} (${rangeText(type)})`, value.offset, 'TYPE_MISMATCH');
  }
  return integer;
}
