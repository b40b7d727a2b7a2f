// The transaction engine of tree.transact: ops applied all or none. They are rehearsed first
// on a scratch copy of what they touch, so that a failing op is found before the tree changes
// at all (no version taken, no change event, no node replaced); then they run on the tree,
// where they meet what they met in the rehearsal. What each op does is its method's (./tree.ts).
import type { Node } from '../../node.js';
import { Tree } from '../../tree.js';
import { isStructured, isTypeName, type TypeName } from '../../types.js';

/** One op as the engine sees it: which method, its params, and the path it writes. */
export interface TransactionOp {
  readonly method: { readonly name: string };
  readonly params: Record<string, unknown>;
  readonly path: string;
}

/**
 * Runs `run` for each op on a scratch copy of what the ops touch, then, when every one
 * succeeded there, on `tree`: an error from the rehearsal names its op, and nothing is applied.
 */
export function allOrNone<Op extends TransactionOp>(tree: Tree, ops: readonly Op[], run: (op: Op, on: Tree) => unknown): void {
  const scratch = Tree.create();
  try {
    copyTouched(tree, scratch, ops);
    ops.forEach((op, index) => inOp(index, op.method.name, () => run(op, scratch)));
  } finally {
    scratch.close();
  }
  for (const op of ops) run(op, tree);
}

/** Runs one op's step, its errors saying which op failed and that nothing was applied. */
export function inOp<T>(index: number, method: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof Error) err.message = `ops[${index}] (${method}) failed, nothing was applied: ${err.message}`;
    throw err;
  }
}

/** The paths of a transaction's ops as a tree of names: what the rehearsal must copy, and where. */
interface PathTrie {
  readonly names: Map<string, PathTrie>;
  /** An op deletes this path: later ops with it find the next child of its name. */
  deleted: boolean;
  /** The members an op sorts this node's children by: later ops under it find the first of a name in the new order. */
  readonly sortedBy: Set<string>;
}

function pathTrie(ops: readonly TransactionOp[]): PathTrie {
  const trie = (): PathTrie => ({ names: new Map(), deleted: false, sortedBy: new Set() });
  const root = trie();
  for (const { method, params, path } of ops) {
    let at = root;
    for (const name of path === '' ? [] : path.split('/')) {
      let next = at.names.get(name);
      if (next === undefined) at.names.set(name, (next = trie()));
      at = next;
    }
    if (method.name === 'tree.delete') at.deleted = true;
    if (method.name === 'tree.sort') at.sortedBy.add(params.member as string);
  }
  return root;
}

/**
 * Copies into `scratch` what the ops may meet, and nothing more, so that a rehearsal costs
 * what the ops name, not the size of what they touch: each node on the way to an op's path
 * as an empty node of its type, leaves whole. Where an earlier op changes which child a
 * name finds (a delete of that path, a sort of its parent), every child of that name is
 * copied, in order, each with the members the sort compares, so the rehearsal finds the
 * same one the ops will; only then are the parent's names read through (tree.list).
 */
function copyTouched(tree: Tree, scratch: Tree, ops: readonly TransactionOp[]): void {
  const pending: Array<{ from: Node; to: Node; trie: PathTrie }> = [{ from: tree.root, to: scratch.root, trie: pathTrie(ops) }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { from, to, trie } = next;
    try {
      for (const [name, below] of trie.names) {
        const sources = below.deleted || trie.sortedBy.size > 0 ? namedChildren(from, name) : [from.child(name)].filter((n) => n !== undefined);
        for (const source of sources) {
          const copy = to.add(source.name, source.typeId, holdsChildren(source) ? undefined : source.value);
          if (holdsChildren(source)) {
            // the members a sort of the parent compares, when no op's path copies them anyway
            for (const member of trie.sortedBy) {
              if (below.names.has(member)) continue;
              const key = source.child(member);
              if (key === undefined) continue;
              copy.add(key.name, key.typeId, holdsChildren(key) ? undefined : key.value).release();
              key.release();
            }
            pending.push({ from: source, to: copy, trie: below });
          } else {
            source.release();
            copy.release();
          }
        }
      }
    } finally {
      if (from !== tree.root) from.release();
      if (to !== scratch.root) to.release();
    }
  }
}

/** The children of `parent` named `name`, in order. */
function namedChildren(parent: Node, name: string): Node[] {
  if (!holdsChildren(parent)) return [];
  const ids = parent.list(0, parent.childCount).children.filter((child) => child.name === name).map(({ id }) => id);
  return ids.map((id) => parent.childById(id)).filter((n) => n !== undefined);
}

function holdsChildren(node: Node): boolean {
  return !isTypeName(node.type) || isStructured(node.type as TypeName);
}
