// PlanNodes as Grove's typed JSON (the format src/codec/typed.ts reads and the native
// exporter writes): {"name","type","value"} for leaves, {"name","type","children"} for
// containers. Integers beyond ±2^53 are decimal strings; non-finite and negative-zero
// floats are "NaN", "Infinity", "-Infinity" and "-0"; bytes are base64; unnamed is "".

import type { PlanNode } from '../codec/plan.js';
import type { LeafValue } from '../types.js';

export type TypedJsonValue = null | boolean | number | string;

export type TypedJsonNode =
  | { name: string; type: string; value: TypedJsonValue }
  | { name: string; type: string; children: TypedJsonNode[] };

const EXACT_LIMIT = 2n ** 53n;

export function toTypedJson(node: PlanNode): TypedJsonNode {
  const name = node.name ?? '';
  if (node.children !== undefined) return { name, type: node.type, children: node.children.map(toTypedJson) };
  return { name, type: node.type, value: typedValue(node.value ?? null) };
}

export function typedValue(value: LeafValue): TypedJsonValue {
  if (typeof value === 'bigint') {
    return value >= -EXACT_LIMIT && value <= EXACT_LIMIT ? Number(value) : value.toString();
  }
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    if (Number.isFinite(value)) return value;
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  if (value instanceof Uint8Array) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  return value;
}

export interface Measure {
  /** UTF-8 bytes of JSON.stringify(toTypedJson(node)). */
  readonly bytes: number;
  /** The node and everything below it. */
  readonly nodes: number;
}

// {"name":,"type":,"children":[]} around a container's name, type and children
const CONTAINER_FRAME = Buffer.byteLength('{"name":,"type":,"children":[]}');

/**
 * Sizes of subtrees without serialising them, remembered for containers so that walking
 * down a tree too big for one request measures each node once.
 */
export class TypedJsonMeasure {
  readonly #containers = new Map<PlanNode, Measure>();

  of(node: PlanNode): Measure {
    if (node.children === undefined) return { bytes: jsonBytes(toTypedJson(node)), nodes: 1 };
    let measure = this.#containers.get(node);
    if (measure === undefined) {
      const commas = Math.max(0, node.children.length - 1);
      let bytes = CONTAINER_FRAME + jsonBytes(node.name ?? '') + jsonBytes(node.type) + commas;
      let nodes = 1;
      for (const child of node.children) {
        const inner = this.of(child);
        bytes += inner.bytes;
        nodes += inner.nodes;
      }
      measure = { bytes, nodes };
      this.#containers.set(node, measure);
    }
    return measure;
  }
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
