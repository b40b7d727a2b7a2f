// A node of a tree. A Node in the tree names it by its id and holds nothing native: each
// call finds the node by id in the core (lockless, under the call's epoch pin), so a Node
// costs what a small object costs and needs no finalizer, and once its node is removed it
// answers NOT_FOUND. A node outside the tree (built by createNode() or copy(), or reached
// through one) is held by a handle of this thread instead, until it is attached (then its
// Node names it by id), released, or garbage collected. Reads are lockless native calls;
// writes go through the node's tree (versioned, fed to the change feed).

import { argumentError, GroveError } from './errors.js';
import { native, releaseHandle, trackHandle } from './native.js';
import { type JsonFormat, jsonFormatIndex, type Tree } from './tree.js';
import {
  type ArrayValue,
  type JsonValue,
  type LeafValue,
  type TreeValue,
  type TypeLabel,
  type TypeName,
  type TypeQuery,
  typeIdOf,
  typeLabel,
} from './types.js';

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

const OPS: ReadonlyMap<unknown, number> = new Map<CompareOp, number>([
  ['=', 0],
  ['!=', 1],
  ['<', 2],
  ['>', 3],
  ['<=', 4],
  ['>=', 5],
]);

export interface FindQuery {
  /** The name of the child member compared (e.g. 'age' matches children with an 'age' child). */
  member: string;
  op: CompareOp;
  value: LeafValue;
  /** Compare the member's number of children instead of its value. */
  byCount?: boolean;
  /** Only children of this type. */
  type?: TypeQuery;
  limit?: number;
}

export interface ChildSummary {
  name: string;
  type: TypeLabel;
  /** The node's id: its name for its whole life, kept across restarts and the same on every station. */
  id: number;
  childCount: number;
  /** The version of the last change at or under it (what ifVersion compares). */
  version: number;
}

export interface ChildPage {
  /** Children in the whole list. */
  total: number;
  children: ChildSummary[];
}

/**
 * The min/max envelope of a node's numbers for a plot (Node.plot): an array node's elements,
 * or the numeric leaves among its children, over [from, to) in runs of consecutive indices.
 */
export interface PlotEnvelope {
  /** Elements (an array) or children in the whole node. */
  total: number;
  from: number;
  /** The end of the range, cut at total. */
  to: number;
  /** Finite numbers in the range. */
  plotted: number;
  /** The rest of the range: children that are no numbers, NaN, ±Infinity. */
  skipped: number;
  /** Each run's first index; a run ends where the next starts, the last at `to`. */
  starts: Float64Array;
  /** The smallest and largest finite number of each run; NaN for a run with none. */
  low: Float64Array;
  high: Float64Array;
}

export interface PlotRange {
  /** The first index (default 0). */
  from?: number;
  /** The end of the range, exclusive (default: the end). */
  to?: number;
  /** The most runs, such as the plot's width in pixels (default 1000, at most 16,384). */
  buckets?: number;
}

export interface Outcome {
  /** Whether the write happened. */
  ok: boolean;
  /** The value the node holds after the call. */
  value: LeafValue;
}

// Set by Node's static block: let refIn(), nodeArgs() and attached() reach the private fields.
let readRef: (node: Node) => number;
let readTreeHandle: (node: Node) => number;
let settle: (node: Node) => void;

export class Node {
  /** The tree this node was reached through. */
  readonly tree: Tree;
  /** The tree's handle in this thread. */
  readonly #t: number;
  /** Its id while it is in the tree; minus the handle holding it outside the tree; NaN once released. */
  #ref: number;
  /** Names never change: read once, or given with the node by an iteration (id and name stay readable after removal). */
  #name: string | undefined;

  /** @internal Nodes come from a Tree or another Node, never from `new`. */
  constructor(tree: Tree, treeHandle: number, ref: number, name?: string) {
    this.tree = tree;
    this.#t = treeHandle;
    this.#ref = ref;
    this.#name = name;
    if (ref < 0) trackHandle(this, -ref);
  }

  /**
   * The node's id: given once, kept by the store across restarts and the same on every
   * station of a cluster (unique across it); stays below 2^53.
   */
  get id(): number {
    return this.#ref >= 0 ? this.#ref : native.nodeId(this.#t, this.#ref);
  }

  get name(): string {
    return (this.#name ??= native.nodeName(this.#t, this.#ref));
  }

  get typeId(): number {
    return native.nodeType(this.#t, this.#ref);
  }

  get type(): TypeLabel {
    return typeLabel(this.typeId);
  }

  /** The tree version that last changed this node or anything under it. */
  get version(): number {
    return native.nodeVersion(this.#t, this.#ref);
  }

  /** Names from the root down to this node joined by '/'; '' for the root or a detached node. */
  get path(): string {
    return native.nodePath(this.#t, this.#ref);
  }

  get childCount(): number {
    return native.childCount(this.#t, this.#ref);
  }

  /** The leaf value: integers beyond ±(2^53 - 1) as bigint, bytes as a new Uint8Array, null for object and list nodes. */
  get value(): LeafValue {
    return native.value(this.#t, this.#ref);
  }

  /** Writes the value, converted exactly to the node's type (a u8 refuses 300 and 1.5). */
  set value(value: LeafValue) {
    native.setValue(this.#t, this.#ref, value);
  }

  /** The value converted exactly to `type`, or TYPE_MISMATCH naming both types. */
  as(type: TypeName): LeafValue {
    return native.valueAs(this.#t, this.#ref, typeIdOf(type, 'as()'));
  }

  parent(): Node | undefined {
    return this.#wrap(native.parent(this.#t, this.#ref));
  }

  /** The nearest ancestor of the type, excluding this node. */
  ancestor(type: TypeQuery): Node | undefined {
    return this.#wrap(native.ancestor(this.#t, this.#ref, this.tree.types.queryId(type, 'ancestor()')));
  }

  /** The first child with this name, or the child at this index. */
  child(key: string | number): Node | undefined {
    if (typeof key === 'string') return this.#wrap(native.childByName(this.#t, this.#ref, key));
    if (typeof key === 'number') return this.#wrap(native.childAt(this.#t, this.#ref, key));
    throw argumentError('child()', 'a name or an index', key);
  }

  /** The first child of the type (a type name, query type, registered type name, or id). */
  childOfType(type: TypeQuery | (string & {})): Node | undefined {
    return this.#wrap(native.childOfType(this.#t, this.#ref, this.tree.types.queryId(type, 'childOfType()')));
  }

  childById(id: number | bigint): Node | undefined {
    if (typeof id !== 'number' && typeof id !== 'bigint') throw argumentError('childById()', 'a number or a bigint', id);
    return this.#wrap(native.childById(this.#t, this.#ref, id));
  }

  /** The descendant at a relative path ('a/b'), or undefined. */
  lookup(path: string): Node | undefined {
    if (typeof path !== 'string') throw argumentError('lookup()', 'a path string', path);
    return this.#wrap(native.lookup(this.#t, this.#ref, path, false));
  }

  /**
   * Adds a new child and returns it. Without a name (or with ''), the core names it
   * "#<id>". The value is converted exactly to the type; an object or list node takes
   * a plain object or array and builds its children.
   */
  add(name: string | undefined, type: TypeName | (string & {}) | number, value?: TreeValue): Node {
    if (name !== undefined && typeof name !== 'string') throw argumentError('add()', 'a name or undefined', name);
    const ref = native.addChild(this.#t, this.#ref, name ?? '', this.tree.types.typeId(type, 'add()'), value);
    return new Node(this.tree, this.#t, ref);
  }

  /** Adds a detached node (from createNode() or copy()) as the last child. Returns the version. */
  append(node: Node): number {
    const version = native.append(this.#t, this.#ref, refIn(this.tree, node, 'append()'));
    node.#attached();
    return version;
  }

  /** Removes a child, given as a Node or an index. Returns the version. */
  remove(child: Node | number): number {
    if (typeof child === 'number') return native.removeChildAt(this.#t, this.#ref, child);
    return native.removeChild(this.#t, this.#ref, refIn(this.tree, child, 'remove()', 'a child Node or an index'));
  }

  /** Puts a detached node in place of the child with this id. Returns the version. */
  replaceById(id: number | bigint, node: Node): number {
    if (typeof id !== 'number' && typeof id !== 'bigint') throw argumentError('replaceById()', 'an id', id);
    const version = native.replaceById(this.#t, this.#ref, id, refIn(this.tree, node, 'replaceById()'));
    node.#attached();
    return version;
  }

  /** The children whose member compares with the value. */
  find(query: FindQuery): Node[] {
    if (typeof query !== 'object' || query === null) throw argumentError('find()', 'a query object', query);
    const { member, op, value, byCount = false, type = 'any', limit } = query;
    if (typeof member !== 'string') throw argumentError('find(): member', 'a string', member);
    const opIndex = OPS.get(op);
    if (opIndex === undefined) {
      throw new GroveError('INVALID_ARGUMENT', `find(): op must be one of = != < > <= >=, got ${String(op)}`);
    }
    if (typeof byCount !== 'boolean') throw argumentError('find(): byCount', 'a boolean', byCount);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new GroveError('INVALID_ARGUMENT', `find(): limit must be a non-negative integer, got ${String(limit)}`);
    }
    const refs = native.find(this.#t, this.#ref, member, opIndex, value, byCount, this.tree.types.queryId(type, 'find()'), limit ?? -1);
    return refs.map((ref) => new Node(this.tree, this.#t, ref));
  }

  /** Reorders the children by their member's value (stable; children lacking it last). Returns the version. */
  sort(member: string, descending = false): number {
    if (typeof member !== 'string') throw argumentError('sort()', 'a member name', member);
    if (typeof descending !== 'boolean') throw argumentError('sort(): descending', 'a boolean', descending);
    return native.sortChildren(this.#t, this.#ref, member, descending);
  }

  /** The children as the list is now. */
  children(): Node[] {
    return native.children(this.#t, this.#ref).map((ref) => new Node(this.tree, this.#t, ref));
  }

  /** One page of the child list, described without making a Node per child. */
  list(offset = 0, limit = 100): ChildPage {
    for (const [what, n] of [['offset', offset], ['limit', limit]] as const) {
      if (!Number.isSafeInteger(n) || n < 0) throw argumentError('list()', `a non-negative integer ${what}`, n);
    }
    const flat = native.listChildren(this.#t, this.#ref, offset, limit);
    const children: ChildSummary[] = [];
    for (let i = 1; i < flat.length; i += 5) {
      children.push({
        name: flat[i] as string,
        type: typeLabel(flat[i + 1] as number),
        id: flat[i + 2] as number,
        childCount: flat[i + 3] as number,
        version: flat[i + 4] as number,
      });
    }
    return { total: flat[0] as number, children };
  }

  /** How many nodes this subtree holds, itself included. */
  get size(): number {
    return native.subtreeSize(this.#t, this.#ref);
  }

  /**
   * Iterates the child list as it was when iteration began, whatever writers do meanwhile
   * (a child removed since answers NOT_FOUND when used). Children come in batches, one
   * native call per batch, with their names.
   */
  [Symbol.iterator](): IterableIterator<Node> {
    return new ChildIterator(this, false);
  }

  /** The same, last child first. */
  reversed(): Iterable<Node> {
    return { [Symbol.iterator]: () => new ChildIterator(this, true) };
  }

  /** A detached deep copy (new ids); add it with append() or replaceById(). */
  copy(): Node {
    return new Node(this.tree, this.#t, native.copySubtree(this.#t, this.#ref));
  }

  /** Appends deep copies of this node's children to `target`. Returns the version. */
  copyChildrenTo(target: Node): number {
    return native.copyChildren(this.#t, this.#ref, refIn(this.tree, target, 'copyChildrenTo()'));
  }

  /** Adds `by` in one atomic step shared by every thread; returns the new value. */
  increment(by: number | bigint = 1): number | bigint {
    if (typeof by !== 'number' && typeof by !== 'bigint') throw argumentError('increment()', 'a number or a bigint', by);
    return native.increment(this.#t, this.#ref, by) as number | bigint;
  }

  /** Writes `value` if the node holds `expected` (compared by value across number types). */
  compareAndSet(expected: LeafValue, value: LeafValue): Outcome {
    const [ok, now] = native.compareAndSet(this.#t, this.#ref, expected, value);
    return { ok, value: now };
  }

  /** Writes `value` if the node holds zero (0, false, '' or empty bytes). */
  setIfZero(value: LeafValue): Outcome {
    const [ok, now] = native.setIfZero(this.#t, this.#ref, value);
    return { ok, value: now };
  }

  /**
   * A TypedArray over an array node's buffer, without copying it (a copy where the runtime
   * refuses external memory). The buffer never changes: writes to the node (set, scale,
   * axpy, resize) give it a new one, and a view taken before keeps reading the old one.
   * Treat a view as read-only; writing into it would bypass versions and other threads.
   */
  view(): ArrayValue {
    return native.arrayView(this.#t, this.#ref);
  }

  /** The sum of an array node's elements: a number (accumulated in double) for float arrays, exact for integer arrays. */
  sum(): number | bigint {
    return native.arrayReduce(this.#t, this.#ref, 0) as number | bigint;
  }

  /** The smallest element (NaN if any is NaN), or undefined for an empty array. */
  min(): number | undefined {
    return (native.arrayReduce(this.#t, this.#ref, 1) as number | null) ?? undefined;
  }

  /** The largest element (NaN if any is NaN), or undefined for an empty array. */
  max(): number | undefined {
    return (native.arrayReduce(this.#t, this.#ref, 2) as number | null) ?? undefined;
  }

  /**
   * The min/max envelope of the node's numbers over a range, computed in one native pass: an
   * array node's elements, or the integer and float leaves among its children (the rest are
   * counted as skipped). One run per index where the range is shorter than `buckets`.
   */
  plot({ from = 0, to, buckets = 1000 }: PlotRange = {}): PlotEnvelope {
    return native.nodeEnvelope(this.#t, this.#ref, from, to, buckets);
  }

  /** The dot product with another array node of the same type and length. */
  dot(other: Node): number | bigint {
    return native.arrayDot(this.#t, this.#ref, refIn(this.tree, other, 'dot()'));
  }

  /** Makes the array a * itself, in one step. Integer arrays take an integer a and refuse results out of range. Returns the version. */
  scale(a: number | bigint): number {
    if (typeof a !== 'number' && typeof a !== 'bigint') throw argumentError('scale()', 'a number', a);
    return native.arrayScale(this.#t, this.#ref, a);
  }

  /** Makes the array a * x + itself, in one step (x: an array node of the same type and length). Returns the version. */
  axpy(a: number | bigint, x: Node): number {
    if (typeof a !== 'number' && typeof a !== 'bigint') throw argumentError('axpy()', 'a number', a);
    return native.arrayAxpy(this.#t, this.#ref, a, refIn(this.tree, x, 'axpy()'));
  }

  /** Keeps the first `length` elements, adding zeros past the end. Returns the version. */
  resize(length: number): number {
    if (!Number.isSafeInteger(length) || length < 0) throw argumentError('resize()', 'a non-negative integer length', length);
    return native.arrayResize(this.#t, this.#ref, length);
  }

  /**
   * The content hash, 64 hex digits: SHA-256 of the node's typed JSON export with its own
   * name written as "" (so it hashes what the node holds, not where it sits). The same
   * after export and typed import; different after any change at or under the node.
   */
  hash(): string {
    return native.nodeHash(this.#t, this.#ref);
  }

  /** Runs an operation of the node's abstract type (registered in tree.types) with the node. */
  invoke<T = unknown>(method: string, args?: unknown): T {
    if (typeof method !== 'string') throw argumentError('invoke()', 'a method name', method);
    return this.tree.types.invoke(this, method, args) as T;
  }

  /**
   * Lets go of the node: a node outside the tree is freed now (unless attached since or
   * held elsewhere), instead of at garbage collection; one in the tree stays there. Any later
   * use of this Node fails with RELEASED. Twice is harmless; `using` calls it.
   */
  release(): void {
    if (this.#ref < 0) releaseHandle(this, -this.#ref);
    this.#ref = Number.NaN;
  }

  [Symbol.dispose](): void {
    this.release();
  }

  /** After a write put this node in the tree: name it by id, and let go of its handle. */
  #attached(): void {
    if (!(this.#ref < 0)) return;
    const id = native.nodeId(this.#t, this.#ref);
    if (typeof id !== 'number') return; // beyond 2^53: the handle keeps naming it
    releaseHandle(this, -this.#ref);
    this.#ref = id;
  }

  /** The subtree as plain JSON (also what JSON.stringify(node) writes), typed `T` by a caller that knows its shape (unchecked). */
  toJSON<T = JsonValue>(): T {
    return JSON.parse(native.exportJSON(this.#t, this.#ref, '', 0)) as T;
  }

  /** The subtree as JSON text in a format of Tree.exportJSON(). */
  exportJSON(format: JsonFormat = 'plain'): string {
    return native.exportJSON(this.#t, this.#ref, '', jsonFormatIndex(format, 'exportJSON()'));
  }

  #wrap(ref: number | undefined): Node | undefined {
    return ref === undefined ? undefined : new Node(this.tree, this.#t, ref);
  }

  static {
    readRef = (node) => node.#ref;
    readTreeHandle = (node) => node.#t;
    settle = (node) => node.#attached();
  }
}

/**
 * The native reference of `node`, a Node of `tree`, for a call that names a second node
 * (it is resolved in the first node's tree).
 */
export function refIn(tree: Tree, node: Node, where: string, expected = 'a Node'): number {
  if (!(node instanceof Node)) throw argumentError(where, expected, node);
  if (node.tree !== tree) {
    throw new GroveError('INVALID_ARGUMENT', `${where}: the two nodes belong to different trees; copy across trees with get() and set()`);
  }
  return readRef(node);
}

/** After the tree's write put a detached node in place: its Node names it by id from now on. */
export function attached(node: Node): void {
  settle(node);
}

/** The tree handle and reference that name `node` in a native call, for other modules. */
export function nodeArgs(node: Node, where: string): [tree: number, ref: number] {
  if (!(node instanceof Node)) throw argumentError(where, 'a Node', node);
  return [readTreeHandle(node), readRef(node)];
}


/** Children per native call of an iteration. */
const BATCH = 256;

class ChildIterator implements IterableIterator<Node> {
  readonly #tree: Tree;
  readonly #treeHandle: number;
  readonly #snapshot: number;
  readonly #backward: boolean;
  /** The index of the next batch's first child. */
  #next: number;
  #refs = new Float64Array(BATCH);
  #names: string[] = [];
  #at = 0;
  #open = true;

  constructor(node: Node, backward: boolean) {
    this.#tree = node.tree;
    const [treeHandle, ref] = nodeArgs(node, 'iterate');
    this.#treeHandle = treeHandle;
    this.#snapshot = native.snapshot(treeHandle, ref);
    trackHandle(this, this.#snapshot);
    this.#backward = backward;
    this.#next = backward ? native.snapshotSize(this.#snapshot) - 1 : 0;
  }

  next(): IteratorResult<Node, undefined> {
    if (this.#at === this.#names.length) {
      if (!this.#open || this.#next < 0) return this.return();
      const names = native.snapshotBatch(this.#snapshot, this.#next, this.#backward, this.#refs);
      if (names === '') return this.return();
      this.#names = names.split('/'); // no name holds a '/'
      this.#next += this.#backward ? -this.#names.length : this.#names.length;
      this.#at = 0;
    }
    const at = this.#at++;
    return { value: new Node(this.#tree, this.#treeHandle, this.#refs[at]!, this.#names[at]), done: false };
  }

  return(): IteratorResult<Node, undefined> {
    if (this.#open) {
      this.#open = false;
      this.#names = [];
      this.#at = 0;
      releaseHandle(this, this.#snapshot);
    }
    return { value: undefined, done: true };
  }

  [Symbol.iterator](): IterableIterator<Node> {
    return this;
  }
}
