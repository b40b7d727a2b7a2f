// PlanNodes as Grove's typed JSON (the format src/codec/typed.ts reads and the native
// exporter writes): {"name","type","value"} for leaves, {"name","type","children"} for
// containers. Integers beyond ±2^53 are decimal strings; non-finite and negative-zero
// floats are "NaN", "Infinity", "-Infinity" and "-0"; bytes are base64; unnamed is "".

import { typedJsonValue } from '../codec/jsonValues.js';
import type { PlanNode } from '../codec/plan.js';
import { isTypeName, type JsonValue, type LeafValue, type TypeName } from '../types.js';

export type TypedJsonValue = JsonValue;

export type TypedJsonNode =
  | { name: string; type: string; value: TypedJsonValue }
  | { name: string; type: string; children: TypedJsonNode[] };

export function toTypedJson(node: PlanNode): TypedJsonNode {
  const name = node.name ?? '';
  if (node.children !== undefined) return { name, type: node.type, children: node.children.map(toTypedJson) };
  return { name, type: node.type, value: typedValue(node.value ?? null, isTypeName(node.type) ? node.type : undefined) };
}

export function typedValue(value: LeafValue, type?: TypeName): TypedJsonValue {
  return typedJsonValue(value, type);
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
