// Nodix node definitions (notes/nodix.md): JSON with `(TYPE)` before keys and hex
// integers, either bare or as one script line `let NODE_BITCORE_NODE SelfNode = `{...}``.
// Unannotated values take Nodix's defaults, where a real is an f32 and an integer 64-bit.

import { JsonTextError, parseJsonText, parseJsonValueAt, type JsonNode } from './jsonText.js';
import { formedValue, isFormedType } from './forms.js';
import { NODIX_TYPES } from './nodixTypes.js';
import {
  defaultNode,
  describeValue,
  isContainer,
  NodeProblem,
  planDocument,
  PlanError,
  type Plan,
  type PlanNode,
  type TopLevel,
} from './plan.js';
import type { TypeName } from '../types.js';
import { bytesFromHex, fitsInteger, floatValue, integerValue, rangeText } from './values.js';

const LET = /^\s*let\s+([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*=\s*`/d;
const SPACE = /[ \t\r\n]*/y;

function skipSpace(text: string, offset: number): number {
  SPACE.lastIndex = offset;
  SPACE.test(text);
  return SPACE.lastIndex;
}

/** Parses a definition, bare or as a `let` line; the declared type and name go with the top level. */
export function parseNodixDefinition(text: string, options: { maxDepth?: number } = {}): TopLevel {
  const jsonOptions = { nodix: true, maxDepth: options.maxDepth };
  const script = LET.exec(text);
  if (script === null) {
    if (/^\s*let\b/.test(text)) {
      throw new JsonTextError('expected a definition of the form let TYPE name = `{ ... }`', text, text.search(/\S/));
    }
    const body = parseJsonText(text, jsonOptions);
    return { value: body, offset: body.offset };
  }
  const { value, end } = parseJsonValueAt(text, script[0].length, jsonOptions);
  const close = skipSpace(text, end);
  if (text[close] !== '`') throw new JsonTextError("expected '`' to close the definition", text, close);
  const rest = skipSpace(text, close + 1);
  if (rest < text.length) {
    throw new JsonTextError('expected the end of the input: import reads one definition', text, rest);
  }
  return { value, name: script[2], annotation: script[1], offset: script.indices![1][0] };
}

export function planNodix(definition: TopLevel, source: string): Plan {
  const body = definition.value;
  if (!isContainer(body)) throw new PlanError('a Nodix definition is an object or an array', source, body.offset, '');
  return planDocument(source, definition, nodixRule);
}

function nodixRule(
  value: JsonNode,
  name: string | undefined,
  annotation: string | undefined,
  entryOffset: number,
): PlanNode {
  if (annotation === undefined) return defaultNode(value, name, 'f32');
  const type = annotatedType(annotation, entryOffset);
  const label = `(${annotation})${name === undefined ? 'the top level' : JSON.stringify(name)}`;
  const mismatch = (expected: string) =>
    new NodeProblem(`${label} must be ${expected} for ${type}, not ${describeValue(value)}`, value.offset);

  if (isFormedType(type)) return { name, type, value: formedValue(value, type, false, label) };
  switch (type) {
    case 'object':
    case 'list':
      // Nodix writes null for a structured member that has nothing in it yet
      // (`(NODE_BITCORE_WALLET_ADDR_LIST) "addr scan list" : null` in nodix.node).
      if (value.kind !== 'null' && value.kind !== (type === 'object' ? 'object' : 'array')) {
        throw mismatch(type === 'object' ? 'an object' : 'an array');
      }
      return { name, type, children: [] };
    case 'str':
      if (value.kind !== 'string') throw mismatch('a string');
      return { name, type, value: value.value };
    case 'bool':
      if (value.kind !== 'bool') throw mismatch('true or false');
      return { name, type, value: value.value };
    case 'null':
      if (value.kind !== 'null') throw mismatch('null');
      return { name, type, value: null };
    case 'bytes': {
      if (value.kind !== 'string') throw mismatch('a string of hex digits');
      const bytes = bytesFromHex(value.value);
      if (bytes === undefined) {
        throw new NodeProblem(`${label}: bytes must be an even number of hex digits`, value.offset);
      }
      return { name, type, value: bytes };
    }
    case 'f32':
    case 'f64': {
      if (value.kind !== 'number') throw mismatch('a number');
      const float = floatValue(value.text, type);
      if (float === undefined) throw new NodeProblem(`${label}: ${value.text} is too large for ${type}`, value.offset);
      return { name, type, value: float };
    }
    default: {
      if (value.kind !== 'number' || !value.integer) throw mismatch('an integer');
      const integer = integerValue(value.text);
      if (!fitsInteger(integer, type)) {
        throw new NodeProblem(`${label}: ${value.text} is out of range for ${type} (${rangeText(type)})`, value.offset);
      }
      return { name, type, value: integer };
    }
  }
}

function annotatedType(annotation: string, offset: number): TypeName {
  const type = NODIX_TYPES.get(annotation);
  if (type === undefined) throw new NodeProblem(`unknown Nodix type (${annotation})`, offset);
  return type;
}
