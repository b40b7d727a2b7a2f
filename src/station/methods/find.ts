// tree.find: the children of a node that match a type or a member's value, in the order of a
// member's value when asked, read in slices so a large list does not hold other calls back.
import type { CompareOp, Node } from '../../node.js';
import type { Tree } from '../../tree.js';
import { type JsonValue, type LeafValue, queryIdOf, type TypeName, typeMatches } from '../../types.js';
import { sliced } from './slices.js';

export const COMPARE_OPS = ['=', '!=', '<', '>', '<=', '>='];

export interface FindParams {
  path: string;
  type?: string;
  where?: { member: string; op: CompareOp; value: unknown };
  orderBy?: string;
  descending?: boolean;
  limit?: number;
}

/** tree.find: the children of `p.path` that match, ordered and cut to the limit, as rows; `type` is p.type resolved. */
export async function find(tree: Tree, p: FindParams, type: TypeName | number | undefined) {
  const parent = tree.node(p.path);
  const matches: Node[] = [];
  try {
    // ordering comes after matching, so a limit then applies to the ordered rows
    const limit = p.orderBy === undefined ? p.limit : undefined;
    if (p.where) {
      matches.push(...parent.find({ member: p.where.member, op: p.where.op, value: p.where.value as LeafValue, type, limit }));
    } else {
      // the children one at a time, in slices: a list of a million is not a million handles at once
      const query = type === undefined ? undefined : queryIdOf(type, 'tree.find');
      await sliced(parent, (child) => {
        if (query === undefined || typeMatches(child.typeId, query)) matches.push(child);
        else child.release();
        return limit === undefined || matches.length < limit;
      });
    }
    const ordered = p.orderBy === undefined ? matches : await orderBy(matches, p.orderBy, p.descending ?? false);
    const rows: { name: string; id: number; type: string; value: JsonValue }[] = [];
    await sliced(ordered.slice(0, p.limit), (child) => {
      rows.push({ name: child.name, id: child.id, type: child.type as string, value: child.toJSON() as JsonValue });
    });
    await sliced(matches.splice(0), (child) => child.release());
    return rows;
  } finally {
    for (const child of matches) child.release();
    parent.release();
  }
}

/** The nodes ordered by a member's value as tree.sort orders them: stable, those lacking it last either way. */
async function orderBy(nodes: Node[], member: string, descending: boolean): Promise<Node[]> {
  const keyed: { node: Node; key: { value: LeafValue } | undefined }[] = [];
  await sliced(nodes, (node) => {
    const found = node.child(member);
    keyed.push({ node, key: found === undefined ? undefined : { value: found.value } });
    found?.release();
  });
  keyed.sort(({ key: a }, { key: b }) => {
    if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
    return compareLeaves(a.value, b.value) * (descending ? -1 : 1);
  });
  return keyed.map(({ node }) => node);
}

/** The core's order of values (README "Decisions"): null < bool < numbers < NaN < str < bytes. */
function compareLeaves(a: LeafValue, b: LeafValue): number {
  const rank = leafRank(a) - leafRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b as string));
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array);
  // < and > compare numbers and bigints exactly, also with each other; null and NaN are equal among themselves
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function leafRank(value: LeafValue): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number' && Number.isNaN(value)) return 3;
  if (typeof value === 'number' || typeof value === 'bigint') return 2;
  return typeof value === 'string' ? 4 : 5;
}
