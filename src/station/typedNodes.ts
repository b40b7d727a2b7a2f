// Detached nodes built from typed JSON, for tree.add with format "typed": one typed node,
// or an array of them (appended in order, as one change). They are built as the JSON is
// read, without a plan in between (an upload sends ~1 MB of them a call), and stay
// detached until the caller appends them: a bad node anywhere fails the call with nothing
// added.
import { stringifyExact } from '../codec/exactJson.js';
import { readDocument } from '../codec/import.js';
import { locateIn } from '../codec/jsonText.js';
import type { NodeSink, PlanType } from '../codec/plan.js';
import { GroveError } from '../errors.js';
import type { Node } from '../node.js';
import type { Tree } from '../tree.js';
import type { LeafValue } from '../types.js';

export function typedNodes(tree: Tree, value: unknown, name: string | undefined, type: string | undefined): Node[] {
  if (name !== undefined || type !== undefined) {
    throw new GroveError('INVALID_ARGUMENT', 'with format "typed" the value carries its own name and type: leave out "name" and "type"');
  }
  const nodes = Array.isArray(value) ? value : [value];
  if (nodes.length === 0) throw new GroveError('INVALID_ARGUMENT', 'an empty array adds nothing: give at least one typed node');
  // as a list's items: a name "" is one the tree generates, as tree.add does without a name
  const text = stringifyExact({ name: '', type: 'list', children: nodes });
  const builder = new DetachedBuilder(tree);
  try {
    const reader = readDocument('typed', builder, { locate: locateIn(text) });
    reader.write(text);
    reader.end();
    return builder.built;
  } catch (error) {
    builder.release();
    throw error;
  }
}

/** Builds the children of a document's top as detached nodes. */
class DetachedBuilder implements NodeSink {
  readonly built: Node[] = [];
  /** The nodes being filled; the document's top is not built. */
  readonly #open: (Node | undefined)[] = [];

  constructor(private readonly tree: Tree) {}

  open(name: string | undefined, type: PlanType): void {
    this.#open.push(this.#open.length === 0 ? undefined : this.#add(name, type));
  }

  leaf(name: string | undefined, type: PlanType, value: LeafValue): void {
    this.#add(name, type, value)?.release();
  }

  close(): void {
    const node = this.#open.pop();
    // the top level's own nodes stay held, for the caller to append
    if (node !== undefined && this.#open.length > 1) node.release();
  }

  /** Releases what was built, and what was still being filled. */
  release(): void {
    for (const node of this.built) node.release();
    for (const node of this.#open.slice(2)) node?.release();
  }

  #add(name: string | undefined, type: PlanType, value?: LeafValue): Node | undefined {
    const parent = this.#open[this.#open.length - 1];
    if (parent !== undefined) return parent.add(name, type, value);
    const node = this.tree.createNode(name, type, value);
    this.built.push(node);
    // a leaf at the top level is held in `built`: the caller releases it
    return value === undefined ? node : undefined;
  }
}
