// A document as the nodes an import creates, in document order: readers (plain, typed,
// Nodix) turn JSON events into node events for a NodeSink, checking each node as it comes,
// so a bad document fails with a position before anything reads on. PlanBuilder collects
// the events into a Plan held whole (for texts that fit in memory); the CLI's uploader and
// checker take them as they come. Also the plain JSON rules (object, list, str, bool,
// i64/u64, f64, null), which Nodix shares.

import { holdsLoneSurrogate, type JsonNode, type JsonScalar } from './jsonText.js';
import type { Locate } from './jsonTokens.js';
import type { ApplicationTypeId, LeafValue, TypeName } from '../types.js';
import { fitsInteger, floatValue, INTEGER_RANGES, integerValue } from './values.js';

/** A node's type in a plan: a built-in type, or an application type (which holds children). */
export type PlanType = TypeName | ApplicationTypeId;

export interface PlanNode {
  /** undefined for unnamed nodes: list items (the tree names them), and the top level. */
  name: string | undefined;
  type: PlanType;
  /** Leaves only. */
  value?: LeafValue;
  /** Structured nodes only. */
  children?: PlanNode[];
}

export interface Plan {
  /** The document's top level; an import adds its children, not the node itself. */
  root: PlanNode;
  /** How many nodes an import creates: every node below the root. */
  size: number;
}

/** Where a document's nodes go, in document order: each open() is matched by a close(). */
export interface NodeSink {
  open(name: string | undefined, type: PlanType): void;
  leaf(name: string | undefined, type: PlanType, value: LeafValue): void;
  close(): void;
}

/**
 * What is wrong with a document: INVALID_ARGUMENT for its structure (a field, a name, a
 * type that does not exist), TYPE_MISMATCH for a value its type cannot hold, as a write of
 * the same value with that type would say.
 */
export type PlanErrorCode = 'INVALID_ARGUMENT' | 'TYPE_MISMATCH';

export class PlanError extends Error {
  /** RFC 6901 pointer into the document to the node at fault; "" is the top level. */
  readonly pointer: string;
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly code: PlanErrorCode;

  constructor(problem: string, offset: number, locate: Locate, pointer: string, code: PlanErrorCode = 'INVALID_ARGUMENT') {
    const { line, column } = locate(offset);
    super(`${problem} (at ${pointer === '' ? 'the top level' : pointer}, line ${line}, column ${column})`);
    this.name = 'PlanError';
    this.pointer = pointer;
    this.offset = offset;
    this.line = line;
    this.column = column;
    this.code = code;
  }
}

/** A problem in one node; the reader that meets it adds where the node is. */
export class NodeProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly code: PlanErrorCode = 'INVALID_ARGUMENT',
  ) {
    super(message);
  }
}

/** Collects a document's node events into a Plan. */
export class PlanBuilder implements NodeSink {
  #root: PlanNode | undefined;
  readonly #open: PlanNode[] = [];
  #size = 0;

  open(name: string | undefined, type: PlanType): void {
    const node: PlanNode = { name, type, children: [] };
    this.#add(node);
    this.#open.push(node);
  }

  leaf(name: string | undefined, type: PlanType, value: LeafValue): void {
    this.#add({ name, type, value });
  }

  close(): void {
    this.#open.pop();
  }

  plan(): Plan {
    return { root: this.#root!, size: this.#size };
  }

  #add(node: PlanNode): void {
    const parent = this.#open[this.#open.length - 1];
    if (parent === undefined) {
      this.#root = node;
    } else {
      parent.children!.push(node);
      this.#size++;
    }
  }
}

export function pointerSegment(key: string): string {
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

/**
 * How integers without a type are read: plain JSON's i64 (u64 above its maximum), or
 * Nodix's 64-bit unsigned unless negative (notes/nodix.md).
 */
export type IntegerDefault = 'i64' | 'u64';

/** The leaf a scalar makes without an annotation; reals become `realType`. */
export function defaultLeaf(
  value: JsonScalar,
  realType: 'f32' | 'f64',
  integers: IntegerDefault,
): { type: TypeName; value: LeafValue } {
  switch (value.kind) {
    case 'string':
      return { type: 'str', value: value.value };
    case 'bool':
      return { type: 'bool', value: value.value };
    case 'null':
      return { type: 'null', value: null };
    case 'number':
      return value.integer ? defaultInteger(value.text, value.offset, integers) : floatLeaf(value.text, value.offset, realType);
  }
}

function defaultInteger(text: string, offset: number, integers: IntegerDefault): { type: TypeName; value: LeafValue } {
  const value = integerValue(text);
  const preferred = integers === 'u64' && value >= 0 ? 'u64' : 'i64';
  if (fitsInteger(value, preferred)) return { type: preferred, value };
  if (fitsInteger(value, 'u64')) return { type: 'u64', value };
  const range = `${INTEGER_RANGES.i64[0]} to ${INTEGER_RANGES.u64[1]}`;
  throw new NodeProblem(`integer ${text} is outside the 64-bit range (${range})`, offset);
}

function floatLeaf(text: string, offset: number, type: 'f32' | 'f64'): { type: TypeName; value: LeafValue } {
  const value = floatValue(text, type);
  if (value === undefined) throw new NodeProblem(`number ${text} is too large for ${type}`, offset);
  return { type, value };
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
