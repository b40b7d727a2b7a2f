// Detached nodes built from typed JSON, for tree.add with format "typed": one typed node,
// or an array of them (appended in order, as one change). Every node is checked before
// the first is built, so a bad one fails with nothing added.
import { buildPlan, planText } from '../codec/import.js';
import { GroveError } from '../errors.js';
import type { Node } from '../node.js';
import type { Tree } from '../tree.js';

export function typedNodes(tree: Tree, value: unknown, name: string | undefined, type: string | undefined): Node[] {
  if (name !== undefined || type !== undefined) {
    throw new GroveError('INVALID_ARGUMENT', 'with format "typed" the value carries its own name and type: leave out "name" and "type"');
  }
  const nodes = Array.isArray(value) ? value : [value];
  if (nodes.length === 0) throw new GroveError('INVALID_ARGUMENT', 'an empty array adds nothing: give at least one typed node');
  // as a list's items: a name "" is one the tree generates, as tree.add does without a name
  const plan = planText(JSON.stringify({ name: '', type: 'list', children: nodes }), 'typed');
  const built: Node[] = [];
  try {
    for (const child of plan.root.children!) {
      const node = tree.createNode(child.name, child.type, child.children ? undefined : child.value);
      built.push(node);
      buildPlan(node, { root: child, size: 0 });
    }
    return built;
  } catch (error) {
    for (const node of built) node.release();
    throw error;
  }
}
