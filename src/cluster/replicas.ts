// What a station holds of others' prefixes, replaced wholesale (README "Cluster"): a snapshot
// of a station's prefixes in record form, and putting one in place of this station's copy,
// node by node by id. Following the stream record by record is follower.ts.
import type { Tree } from '../tree.js';

/** Prefixes of a station's tree in record form (null where nothing is), the nonces of owner keys, and where its stream stood. */
export interface Snapshot {
  version: number;
  seq: number;
  nonces: Record<string, number>;
  parts: { p: string; n: string | null }[];
}

/** The node at `path` in record form, or null. */
export function exportAt(tree: Tree, path: string): string | null {
  const node = tree.tryNode(path);
  if (node === undefined) return null;
  try {
    return node.exportJSON('store');
  } finally {
    node.release();
  }
}

/** Makes the node at `path` the one in record form `text` (null: none), by id; `log` says why it could not. */
export function putAt(tree: Tree, path: string, text: string | null, log: (line: string) => void): void {
  if (path === '') return putRoot(tree, text!);
  const here = tree.tryNode(path);
  try {
    if (text === null) {
      if (here !== undefined) tree.delete(path);
      return;
    }
    const node = tree.readSubtree(text);
    try {
      if (here !== undefined) {
        const parent = here.parent()!;
        try {
          parent.replaceById(here.id, node);
        } finally {
          parent.release();
        }
        return;
      }
      const parentPath = path.slice(0, Math.max(path.lastIndexOf('/'), 0));
      const parent = tree.tryNode(parentPath);
      if (parent === undefined) {
        log(`a snapshot's "${path}" has no parent here yet: it comes with the snapshot of whoever owns "${parentPath}"`);
        return;
      }
      try {
        parent.append(node);
      } finally {
        parent.release();
      }
    } finally {
      node.release();
    }
  } finally {
    here?.release();
  }
}

/** Makes the root's children those of the root in record form `text`, by id. */
function putRoot(tree: Tree, text: string): void {
  const root = tree.root;
  const children = tree.readChildren(text);
  for (const old of root.children()) {
    root.remove(old);
    old.release();
  }
  for (const child of children) {
    root.append(child);
    child.release();
  }
}
