// A build plan: the typed tree an import will create, checked in full before the first
// node is added, so a bad document fails with a position and changes nothing. Also the
// plain JSON rules (object, list, str, bool, i64/u64, f64, null), which Nodix shares.

import { holdsLoneSurrogate, lineColumn, type JsonArray, type JsonNode, type JsonNumber, type JsonObject } from './jsonText.js';
import type { ApplicationTypeId, LeafValue, TypeName } from '../types.js';
import { fitsInteger, floatValue, INTEGER_RANGES, integerValue } from './values.js';

/** A node's type in a plan: a built-in type, or an application type (which holds children). */
export type PlanType = TypeName | ApplicationTypeId;

export interface PlanNode {
  /** undefined for unnamed nodes: list items (the tree names them), and the top level unless a Nodix `let` names it. */
  name: string | undefined;
  type: PlanType;
  /** Leaves only. */
  value?: LeafValue;
  /** Object and list nodes only. */
  children?: PlanNode[];
}

export interface Plan {
  /** The document's top level; an import adds its children, not the node itself. */
  root: PlanNode;
  /** How many nodes an import creates: every node below the root. */
  size: number;
}

export class PlanError extends Error {
  /** RFC 6901 pointer into the document to the node at fault; "" is the top level. */
  readonly pointer: string;
  readonly offset: number;
  readonly line: number;
  readonly column: number;

  constructor(problem: string, source: string, offset: number, pointer: string) {
    const { line, column } = lineColumn(source, offset);
    super(`${problem} (at ${pointer === '' ? 'the top level' : pointer}, line ${line}, column ${column})`);
    this.name = 'PlanError';
    this.pointer = pointer;
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/** A problem in one node; the walk that meets it adds where the node is. */
export class NodeProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Decides type and value of one document value; `annotation` is its Nodix `(TYPE)`. */
export type NodeRule = (
  value: JsonNode,
  name: string | undefined,
  annotation: string | undefined,
  entryOffset: number,
) => PlanNode;

export interface TopLevel {
  value: JsonNode;
  name?: string;
  annotation?: string;
  /** Where the top level's declaration starts (its annotation, if any). */
  offset: number;
}

/** Plans a plain or Nodix document: `rule` types each value, in document order. */
export function planDocument(source: string, top: TopLevel, rule: NodeRule): Plan {
  // Containers being walked, outermost first; `next` is the index of the next child.
  const frames: { container: JsonObject | JsonArray; plan: PlanNode; next: number }[] = [];
  try {
    const root = rule(top.value, top.name, top.annotation, top.offset);
    let size = 0;
    if (root.children !== undefined && isContainer(top.value)) {
      frames.push({ container: top.value, plan: root, next: 0 });
    }
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const container = frame.container;
      let value: JsonNode;
      let child: PlanNode;
      if (container.kind === 'object') {
        if (frame.next === container.entries.length) {
          frames.pop();
          continue;
        }
        const entry = container.entries[frame.next++];
        const problem = nameProblem(entry.key);
        if (problem !== undefined) throw new NodeProblem(problem, entry.offset);
        value = entry.value;
        child = rule(value, entry.key, entry.annotation, entry.offset);
      } else {
        if (frame.next === container.items.length) {
          frames.pop();
          continue;
        }
        value = container.items[frame.next++];
        child = rule(value, undefined, undefined, value.offset);
      }
      frame.plan.children!.push(child);
      size++;
      if (child.children !== undefined && isContainer(value)) frames.push({ container: value, plan: child, next: 0 });
    }
    return { root, size };
  } catch (error) {
    if (!(error instanceof NodeProblem)) throw error;
    const pointer = frames
      .map(({ container, next }) =>
        container.kind === 'object' ? pointerSegment(container.entries[next - 1].key) : `/${next - 1}`,
      )
      .join('');
    throw new PlanError(error.message, source, error.offset, pointer);
  }
}

export function isContainer(value: JsonNode): value is JsonObject | JsonArray {
  return value.kind === 'object' || value.kind === 'array';
}

function pointerSegment(key: string): string {
  return '/' + key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Why the tree would refuse a name (DESIGN "The node"), or undefined if it would not. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'a name must not be empty';
  if (name === '.' || name === '..') return `'${name}' is not a name`;
  if (name.includes('/')) return `name ${JSON.stringify(name)}: '/' separates names in a path`;
  const control = /[\x00-\x1f\x7f-\x9f]/.exec(name)?.[0];
  if (control !== undefined) return `name ${JSON.stringify(name)} contains a control character (U+${control.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  if (holdsLoneSurrogate(name)) return `name ${JSON.stringify(name)} holds an unpaired surrogate, which has no UTF-8 form`;
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so only long names need counting.
  if (name.length > 85) {
    const bytes = Buffer.byteLength(name);
    if (bytes > 255) return `a name is at most 255 bytes of UTF-8; this one is ${bytes}`;
  }
  return undefined;
}

/** Plain JSON: object, list, str, bool, null, integers as i64 (u64 above), reals as f64. */
export function planPlain(ast: JsonNode, source: string): Plan {
  return planDocument(source, { value: ast, offset: ast.offset }, (value, name) => defaultNode(value, name, 'f64'));
}

/** The node a value makes without an annotation; reals become `realType`. */
export function defaultNode(value: JsonNode, name: string | undefined, realType: 'f32' | 'f64'): PlanNode {
  switch (value.kind) {
    case 'object':
      return { name, type: 'object', children: [] };
    case 'array':
      return { name, type: 'list', children: [] };
    case 'string':
      return { name, type: 'str', value: value.value };
    case 'bool':
      return { name, type: 'bool', value: value.value };
    case 'null':
      return { name, type: 'null', value: null };
    case 'number':
      return value.integer ? defaultInteger(value, name) : floatNode(value, name, realType);
  }
}

/** i64, or u64 above i64's maximum (Nodix's 64-bit default, which plain JSON shares). */
function defaultInteger(literal: JsonNumber, name: string | undefined): PlanNode {
  const value = integerValue(literal.text);
  if (fitsInteger(value, 'i64')) return { name, type: 'i64', value };
  if (fitsInteger(value, 'u64')) return { name, type: 'u64', value };
  const range = `${INTEGER_RANGES.i64[0]} to ${INTEGER_RANGES.u64[1]}`;
  throw new NodeProblem(`integer ${literal.text} is outside the 64-bit range (${range})`, literal.offset);
}

function floatNode(literal: JsonNumber, name: string | undefined, type: 'f32' | 'f64'): PlanNode {
  const value = floatValue(literal.text, type);
  if (value === undefined) throw new NodeProblem(`number ${literal.text} is too large for ${type}`, literal.offset);
  return { name, type, value };
}

/** A value as an error message names it. */
export function describeValue(value: JsonNode): string {
  switch (value.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return 'a string';
    case 'number':
      return value.text;
    case 'bool':
      return String(value.value);
    case 'null':
      return 'null';
  }
}
