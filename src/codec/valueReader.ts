// Plain JSON and Nodix definitions as node events: every object member and array item is a
// node, named by its key (list items are unnamed); a rule decides each one's type, from its
// value and its Nodix annotation. A value the rule wants whole (a vector's numbers) is
// collected before the rule sees it; everything else streams.

import { JsonTreeBuilder, type JsonNode } from './jsonText.js';
import type { JsonHandler, JsonScalar } from './jsonTokens.js';
import { nameProblem, NodeProblem, type NodeSink, type PlanType, pointerSegment } from './plan.js';
import type { LeafValue } from '../types.js';

/** Where a value sits: its name and annotation, where its member starts, and whether it is the document's top. */
export interface Member {
  readonly name: string | undefined;
  readonly annotation: string | undefined;
  readonly offset: number;
  readonly top: boolean;
}

/** A value as a node: a leaf, or (`empty`) a structured node with no children. */
export type RuledValue = { type: PlanType; value: LeafValue; empty?: undefined } | { type: PlanType; empty: true };

export interface ValueRule {
  /** The type of the structured node a container opens here, or undefined to read it whole for value(). */
  container(kind: 'object' | 'array', member: Member, offset: number): PlanType | undefined;
  value(value: JsonNode, member: Member): RuledValue;
}

const OBJECT = 0;
const ARRAY = 1;

interface Frame {
  readonly kind: typeof OBJECT | typeof ARRAY;
  /** The member being read: its key, or its index in an array. */
  key: string;
  index: number;
}

export class ValueReader implements JsonHandler {
  readonly #frames: Frame[] = [];
  // the next member of an open object, as key() announced it
  #name: string | undefined;
  #annotation: string | undefined;
  #entryOffset = 0;
  #collecting: JsonTreeBuilder | undefined;
  #collected: Member | undefined;

  constructor(
    private readonly sink: NodeSink,
    private readonly rule: ValueRule,
    /** The top value's name and annotation, when something declared it (a Nodix `let`). */
    private readonly top: Omit<Member, 'top'> = { name: undefined, annotation: undefined, offset: 0 },
    private readonly pointerPrefix = '',
  ) {}

  /** The JSON pointer of the value being read. */
  pointer(): string {
    let pointer = this.pointerPrefix;
    for (const frame of this.#frames) pointer += frame.kind === OBJECT ? pointerSegment(frame.key) : `/${frame.index}`;
    return pointer;
  }

  beginObject(offset: number): void {
    if (this.#collecting !== undefined) return this.#collecting.beginObject(offset);
    this.#container(OBJECT, offset);
  }

  beginArray(offset: number): void {
    if (this.#collecting !== undefined) return this.#collecting.beginArray(offset);
    this.#container(ARRAY, offset);
  }

  key(key: string, annotation: string | undefined, offset: number): void {
    if (this.#collecting !== undefined) return this.#collecting.key(key, annotation, offset);
    this.#frames[this.#frames.length - 1]!.key = key;
    const problem = nameProblem(key);
    if (problem !== undefined) throw new NodeProblem(problem, offset);
    this.#name = key;
    this.#annotation = annotation;
    this.#entryOffset = offset;
  }

  scalar(value: JsonScalar): void {
    if (this.#collecting !== undefined) return this.#collecting.scalar(value);
    this.#emit(value, this.#member(value.offset));
  }

  end(): void {
    if (this.#collecting !== undefined) return this.#collecting.end();
    this.#frames.pop();
    this.sink.close();
  }

  #container(kind: typeof OBJECT | typeof ARRAY, offset: number): void {
    const member = this.#member(offset);
    const type = this.rule.container(kind === OBJECT ? 'object' : 'array', member, offset);
    if (type === undefined) {
      this.#collected = member;
      this.#collecting = new JsonTreeBuilder((value) => {
        this.#collecting = undefined;
        this.#emit(value, this.#collected!);
      });
      if (kind === OBJECT) this.#collecting.beginObject(offset);
      else this.#collecting.beginArray(offset);
      return;
    }
    this.sink.open(member.name, type);
    this.#frames.push({ kind, key: '', index: -1 });
  }

  /** The member a value starting at `offset` is: an object's next member, an array's next item, or the top. */
  #member(offset: number): Member {
    const frame = this.#frames[this.#frames.length - 1];
    if (frame === undefined) return { ...this.top, top: true };
    if (frame.kind === ARRAY) {
      frame.index++;
      return { name: undefined, annotation: undefined, offset, top: false };
    }
    return { name: this.#name, annotation: this.#annotation, offset: this.#entryOffset, top: false };
  }

  #emit(value: JsonNode, member: Member): void {
    const node = this.rule.value(value, member);
    if (node.empty) {
      this.sink.open(member.name, node.type);
      this.sink.close();
    } else {
      this.sink.leaf(member.name, node.type, node.value);
    }
  }
}
