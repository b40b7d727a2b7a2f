// What a restart (or a replica) must give back of a tree: every node with its id and
// version (the snapshot form), the ids and versions tree.list answers, and the root's hash.
import type { Caller } from './station.js';
import { resultOf } from './station.js';

export interface TreeState {
  /** Every node with its name, type, value, id and version (Tree.exportJSON(path, 'snapshot')). */
  nodes: string;
  /** tree.list's rows of every node reachable by path: "path name id version childCount". */
  listed: string[];
  hash: string;
}

/** The state of a station's tree, read through its RPC interface and (for ids and versions of every node) its tree. */
export async function stateOf(call: Caller, snapshot: () => string): Promise<TreeState> {
  const listed: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const { children } = resultOf(await call('tree.list', { path, limit: 10_000 }));
    const seen = new Set<string>();
    for (const { name, id, version, childCount } of children) {
      const at = path === '' ? name : `${path}/${name}`;
      listed.push(`${at} ${id} ${version} ${childCount}`);
      // a path names the first child of its name: the others are reached through the snapshot only
      if (childCount > 0 && !seen.has(name)) await walk(at);
      seen.add(name);
    }
  };
  await walk('');
  return { nodes: snapshot(), listed, hash: resultOf(await call('tree.hash', { path: '' })) };
}
