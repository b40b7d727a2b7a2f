// Loading a snapshot fast: the typed JSON is parsed once with JSON.parse and built with one
// native add per node, where the general typed import (codec/import.ts) checks and plans the
// document first. Nodes whose typed JSON value is not what add() takes (bytes in base64, big
// integers as strings, chain types, application types) go through the general import, one
// subtree at a time, so the result is the same.
import { buildPlan, planText } from '../codec/import.js';
import { native } from '../native.js';
import { handleOf, Node } from '../node.js';
import type { Tree } from '../tree.js';
import type { TypedNode } from './ops.js';

const PLAIN_LEAVES = new Set(['bool', 'i8', 'i16', 'i32', 'u8', 'u16', 'u32', 'f32', 'f64', 'str']);
/** 64-bit integers travel as numbers within ±2^53, as strings beyond. */
const WIDE = new Set(['i64', 'u64']);

/** Makes the root's children those of the typed JSON document `text` (the snapshot body). */
export function loadSnapshot(tree: Tree, text: string): void {
  const doc = JSON.parse(text) as TypedNode;
  const root = tree.root;
  for (const old of root.children()) {
    root.remove(old);
    old.release();
  }
  // native calls on raw handles: no Node object (and its finalizer) per node
  const ids = new Map<string, number>();
  const typeId = (type: string) => {
    let id = ids.get(type);
    if (id === undefined) ids.set(type, (id = tree.types.typeId(type, 'snapshot')));
    return id;
  };
  const rootHandle = handleOf(root, 'snapshot');
  for (const child of doc.children ?? []) build(tree, rootHandle, child, typeId);
}

function plain(node: TypedNode): boolean {
  const { type, value } = node;
  if (node.children !== undefined) return false;
  if (WIDE.has(type)) return Number.isSafeInteger(value);
  if (!PLAIN_LEAVES.has(type)) return false;
  if (type === 'str') return typeof value === 'string';
  if (type === 'bool') return typeof value === 'boolean';
  return typeof value === 'number' && Number.isFinite(value);
}

function build(tree: Tree, parent: number, node: TypedNode, typeId: (type: string) => number): void {
  if (plain(node)) {
    native.release(native.addChild(parent, node.name, typeId(node.type), node.value));
    return;
  }
  if ((node.type === 'object' || node.type === 'list') && node.value === undefined) {
    const built = native.addChild(parent, node.name, typeId(node.type), undefined);
    try {
      for (const child of node.children ?? []) build(tree, built, child, typeId);
    } finally {
      native.release(built);
    }
    return;
  }
  // anything else: the general typed import of this subtree
  const plan = planText(JSON.stringify(node), 'typed');
  const top = new Node(tree, native.addChild(parent, node.name, typeId(plan.root.type), plan.root.children ? undefined : plan.root.value));
  try {
    buildPlan(top, plan);
  } finally {
    top.release();
  }
}
