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

import type { JsonNode, JsonObject } from './jsonText.js';
import { formedValue, isFormedType } from './forms.js';
import {
  describeValue,
  nameProblem,
  NodeProblem,
  PlanError,
  type Plan,
  type PlanNode,
  type PlanType,
} from './plan.js';
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

export function planTyped(ast: JsonNode, source: string): Plan {
  // Structured nodes being read, outermost first; `next` indexes their "children" array.
  const frames: { items: JsonNode[]; plan: PlanNode; next: number }[] = [];
  try {
    const top = readNode(ast, undefined);
    let size = 0;
    if (top.children !== undefined) frames.push({ items: top.children, plan: top.plan, next: 0 });
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame.next === frame.items.length) {
        frames.pop();
        continue;
      }
      const { plan, children } = readNode(frame.items[frame.next++], frame.plan.type);
      frame.plan.children!.push(plan);
      size++;
      if (children !== undefined && children.length > 0) frames.push({ items: children, plan, next: 0 });
    }
    return { root: top.plan, size };
  } catch (error) {
    if (!(error instanceof NodeProblem)) throw error;
    const pointer = frames.map(({ next }) => `/children/${next - 1}`).join('');
    throw new PlanError(error.message, source, error.offset, pointer);
  }
}

/** Reads one node; `children` are the JSON nodes of its children, still to be read. */
function readNode(node: JsonNode, parentType: PlanType | undefined): { plan: PlanNode; children?: JsonNode[] } {
  if (node.kind !== 'object') {
    throw new NodeProblem(`a typed JSON node must be an object, not ${describeValue(node)}`, node.offset);
  }
  const fields = readFields(node);
  const typeField = required(fields.type, 'type', node);
  if (typeField.kind !== 'string') throw new NodeProblem('"type" must be a string', typeField.offset);
  const type = typeField.value;
  if (!isTypeName(type) && !isApplicationTypeId(type)) throw new NodeProblem(`unknown type ${JSON.stringify(type)}`, typeField.offset);
  const name = readName(required(fields.name, 'name', node), parentType);

  if (!isTypeName(type) || isStructured(type)) {
    if (fields.value !== undefined) {
      throw new NodeProblem(`type ${type} takes "children", not "value"`, fields.value.offset);
    }
    const children = required(fields.children, 'children', node);
    if (children.kind !== 'array') throw new NodeProblem('"children" must be an array', children.offset);
    return { plan: { name, type, children: [] }, children: children.items };
  }
  if (fields.children !== undefined) {
    throw new NodeProblem(`type ${type} takes "value", not "children"`, fields.children.offset);
  }
  return { plan: { name, type, value: readValue(required(fields.value, 'value', node), type) } };
}

function readFields(node: JsonObject): { name?: JsonNode; type?: JsonNode; value?: JsonNode; children?: JsonNode } {
  const fields: { name?: JsonNode; type?: JsonNode; value?: JsonNode; children?: JsonNode } = {};
  for (const { key, value, offset } of node.entries) {
    if (key !== 'name' && key !== 'type' && key !== 'value' && key !== 'children') {
      throw new NodeProblem(`unknown field ${JSON.stringify(key)}`, offset);
    }
    if (fields[key] !== undefined) throw new NodeProblem(`duplicate field "${key}"`, offset);
    fields[key] = value;
  }
  return fields;
}

function required(field: JsonNode | undefined, key: string, node: JsonObject): JsonNode {
  if (field === undefined) throw new NodeProblem(`missing field "${key}"`, node.offset);
  return field;
}

function readName(field: JsonNode, parentType: PlanType | undefined): string | undefined {
  if (field.kind !== 'string') throw new NodeProblem('"name" must be a string', field.offset);
  const name = field.value;
  // The top level's own name is not used: an import adds its children.
  if (parentType === undefined || (parentType === 'list' && name === '')) return undefined;
  const problem = nameProblem(name);
  if (problem !== undefined) throw new NodeProblem(problem, field.offset);
  return name;
}

function readValue(value: JsonNode, type: Exclude<TypeName, 'object' | 'list'>): LeafValue {
  if (isFormedType(type)) return formedValue(value, type, true, 'value');
  const mismatch = (expected: string) =>
    new NodeProblem(`value must be ${expected} for ${type}, not ${describeValue(value)}`, value.offset);
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
        throw new NodeProblem('bytes must be canonical base64 (padded, standard alphabet)', value.offset);
      }
      return bytes;
    }
    case 'f32':
    case 'f64': {
      if (value.kind === 'string' && SPECIAL_FLOATS.has(value.value)) return SPECIAL_FLOATS.get(value.value)!;
      if (value.kind !== 'number') throw mismatch('a number, "NaN", "Infinity", "-Infinity" or "-0"');
      const float = floatValue(value.text, type);
      if (float === undefined) throw new NodeProblem(`${value.text} is too large for ${type}`, value.offset);
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
      throw new NodeProblem(`${value.text} is beyond 2^53: write it as the string "${value.text}"`, value.offset);
    }
  } else if (value.kind === 'string' && DECIMAL_INTEGER.test(value.value)) {
    integer = integerValue(value.value);
    if (typeof integer === 'number') {
      throw new NodeProblem(`"${value.value}" is within 2^53: write it as the number ${value.value}`, value.offset);
    }
  } else {
    throw new NodeProblem(`value must be an integer for ${type}, not ${describeValue(value)}`, value.offset);
  }
  if (!fitsInteger(integer, type)) {
    throw new NodeProblem(`${integer} is out of range for ${type} (${rangeText(type)})`, value.offset);
  }
  return integer;
}
