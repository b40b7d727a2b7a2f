// The write-ahead log's operations: one write call's changes (tree.takeChanges()) as ops
// that replay by position, idempotently: replaying a record on a tree that already has it
// leaves the tree as it was. A node's content travels as typed JSON, which reproduces it
// exactly (its type, value and subtree).
import { GroveError } from '../errors.js';
import type { Change, Tree } from '../tree.js';

export type LogOp =
  /**
   * set, add, replace: the node now at `p`, as typed JSON text (`j`, when encoding) or as
   * that JSON parsed (`n`, when read back); absent when a later op of the same call removed it.
   */
  | { o: 'put'; p: string; j?: string; n?: TypedNode }
  | { o: 'remove'; p: string }
  | { o: 'sort'; p: string; m: string; d: boolean };

/** A node in typed JSON. */
export interface TypedNode {
  name: string;
  type: string;
  value?: unknown;
  children?: TypedNode[];
}

/** One write call: the version of its last change, who made it, its ops in version order. */
export interface LogRecord {
  v: number;
  origin: string;
  ops: LogOp[];
}

/**
 * The ops of one call's changes, read from the tree right after the call: a node's typed
 * JSON is its state at the end of the call, which later ops of the same call only repeat.
 * Does not release the changes' nodes.
 */
export function opsOf(tree: Tree, changes: Change[]): LogOp[] {
  const ops: LogOp[] = [];
  // one change alone (most writes): its node is at its path, unless a worker moved it since
  const alone = changes.length === 1;
  for (const change of changes) {
    const { op, path } = change;
    if (op === 'remove') ops.push({ o: 'remove', p: path });
    else if (op === 'sort') ops.push({ o: 'sort', p: path, m: change.sort!.member, d: change.sort!.descending });
    else ops.push({ o: 'put', p: path, j: alone ? exportAt(tree, path) : currentJson(tree, path, change) });
  }
  return ops;
}

/** The typed JSON of the node at `path`, or undefined when there is none. */
export function exportAt(tree: Tree, path: string): string | undefined {
  try {
    return tree.exportJSON(path, 'typed');
  } catch (error) {
    if (error instanceof GroveError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

/** A record as JSON text, with each node's typed JSON embedded as it is (not as a string). */
export function recordText(record: LogRecord): string {
  let text = `{"v":${record.v},"origin":${JSON.stringify(record.origin)},"ops":[`;
  record.ops.forEach((op, i) => {
    if (i > 0) text += ',';
    if (op.o === 'put') text += `{"o":"put","p":${JSON.stringify(op.p)}${op.j === undefined ? '' : `,"n":${op.j}`}}`;
    else text += JSON.stringify(op);
  });
  return text + ']}';
}

/** The typed JSON of the change's node if it is still at its path, else undefined. */
function currentJson(tree: Tree, path: string, change: Change): string | undefined {
  const here = tree.tryNode(path);
  if (here === undefined) return undefined;
  try {
    if (here.id !== change.node.id) return undefined;
    return tree.exportJSON(path, 'typed');
  } finally {
    here.release();
  }
}

/** Applies a logged record's ops to a tree (recovery). */
export function applyRecord(tree: Tree, record: LogRecord): void {
  for (const op of record.ops) {
    if (op.o === 'put') {
      // a node a later op of the same call removed: an empty object stands in for it until then
      const node = op.n ?? { name: op.p.slice(op.p.lastIndexOf('/') + 1), type: 'object', children: [] };
      if (op.p === '') tree.importJSON('', JSON.stringify(node), { format: 'typed', replace: true });
      else if (!putLeaf(tree, op.p, node)) tree.importJSON(op.p, JSON.stringify(node), { format: 'typed' });
    } else if (op.o === 'remove') {
      if (op.p === '') continue;
      try {
        tree.delete(op.p);
      } catch (error) {
        if (!(error instanceof GroveError && error.code === 'NOT_FOUND')) throw error;
      }
    } else if (op.o === 'sort') {
      const node = tree.tryNode(op.p);
      if (node === undefined) continue;
      try {
        node.sort(op.m, op.d);
      } finally {
        node.release();
      }
    }
  }
}

/** Leaf types whose typed JSON value is the value set() takes for them. */
const PLAIN_LEAVES = new Set(['bool', 'i8', 'i16', 'i32', 'u8', 'u16', 'u32', 'f32', 'f64', 'str']);

/**
 * Replays the put of a simple leaf with one set() call, much cheaper than importJSON;
 * returns false when the document is anything else (then importJSON does it).
 */
function putLeaf(tree: Tree, path: string, node: TypedNode): boolean {
  const { type, value } = node;
  if (node.children !== undefined) return false;
  if ((type === 'i64' || type === 'u64') && Number.isSafeInteger(value)) {
    tree.set(path, value as number, type);
    return true;
  }
  if (typeof type !== 'string' || !PLAIN_LEAVES.has(type)) return false;
  const ok =
    type === 'str' ? typeof value === 'string' : type === 'bool' ? typeof value === 'boolean' : typeof value === 'number' && Number.isFinite(value);
  if (!ok) return false;
  tree.set(path, value as string | number | boolean, type as 'str');
  return true;
}
