// A tree held by this thread. Trees are shared between worker threads by posting what
// share() returns and calling Tree.attach() on the other side; the tree lives while any
// thread holds it, and close() (or a worker's exit) lets go of this thread's hold.

import { type ImportFormat, type ImportResult, planText, buildPlan } from './codec/import.js';
import { TypeRegistry } from './abstractTypes.js';
import { argumentError, GroveError } from './errors.js';
import { native, trackHandle } from './native.js';
import { attached, Node, refIn } from './node.js';
import { normalizePath } from './paths.js';
import { type JsonValue, type LeafValue, type TreeValue, type TypeName } from './types.js';

/** What share() returns: a plain object to post to a worker for Tree.attach(). */
export interface SharedTree {
  readonly grove: 'tree';
  readonly token: number;
}

export type ChangeOp = 'set' | 'add' | 'remove' | 'replace' | 'sort' | 'nonce';

/**
 * One change of the tree's feed. Every write call makes one change, whatever it touches:
 * a write through missing parents builds them with it and puts them in place in one step.
 */
export interface Change {
  version: number;
  op: ChangeOp;
  /** Where the change is seen: for a write through a path, that path; for 'remove', where the node was. */
  path: string;
  /** The id of the node set, added, removed, sorted, or put in place. */
  id: number;
  /** The thread that made it: what Tree.writerTag is in that thread. */
  writer: number;
  /**
   * Plain JSON text: 'set' the value written; 'add' and 'replace' the node now at `path`.
   * Absent for 'remove' and 'sort'.
   */
  valueJson?: string;
  /** Plain JSON text: 'set' the value it replaced; 'replace' and 'remove' the node taken out. */
  oldValueJson?: string;
  /** The value (or old value) was longer than a change carries (1 MiB of JSON) and is left out: read it instead. */
  valueOmitted?: true;
  oldValueOmitted?: true;
  /**
   * With the feed at 'records': the change as the store logs it and the cluster streams it
   * (a record op, by node ids: include/grove/record.h), for Tree.applyRecord.
   */
  record?: string;
}

/** How much the feed keeps of each change: nothing, what subscribers need, or that and its record. */
export type FeedLevel = 'off' | 'events' | 'records';

/** A snapshot of the whole tree, taken with every other thread's writes held back. */
export interface TreeSnapshot {
  /** The changes that were not yet taken: the snapshot holds them and every one before. */
  changes: Change[];
  /** Every node with its id and version (include/grove/record.h): what loadSnapshot() takes. */
  body: string;
  version: number;
  nextId: number;
}

export interface ReplayOptions {
  /**
   * Give each change the version the record carries (replaying this tree's own log), or
   * the tree's next one (applying another station's record). Default true.
   */
  keepVersions?: boolean;
  /** Skip ops at or below this version: the snapshot the log starts from holds them. */
  after?: number;
}

/**
 * plain: values as JSON; typed: every node with its type (export → import reproduces it);
 * store: typed, and every node's id (the record form: readSubtree() gives the nodes back with
 * their ids); snapshot: store, and every node's version.
 */
export type JsonFormat = 'plain' | 'typed' | 'store' | 'snapshot';

/** The index the addon takes for a JSON format, or INVALID_ARGUMENT. */
export function jsonFormatIndex(format: unknown, where: string): number {
  const index = JSON_FORMATS.indexOf(format as JsonFormat);
  if (index < 0) throw new GroveError('INVALID_ARGUMENT', `${where}: format must be 'plain', 'typed', 'store' or 'snapshot', got ${String(format)}`);
  return index;
}

const JSON_FORMATS: readonly JsonFormat[] = ['plain', 'typed', 'store', 'snapshot'];

export interface ExportOptions {
  format?: JsonFormat;
  /**
   * Levels of children to include; deeper structured nodes are cut: `true` in plain JSON,
   * `{ name, type, childCount }` in typed JSON. Default: everything.
   */
  depth?: number;
}

export interface ImportJsonOptions {
  format: ImportFormat;
  /** Called with nodes built so far and the total, about 10 times a second and at the end. */
  onProgress?: (done: number, total: number) => void;
  /** The deepest JSON nesting accepted; default 512. */
  maxDepth?: number;
  /** At the root: its children become the document's, instead of taking them in. */
  replace?: boolean;
}

const CHANGE_OPS: readonly ChangeOp[] = ['set', 'add', 'remove', 'replace', 'sort', 'nonce'];
const CHANGE_STRIDE = 9;
const FEED_LEVELS: readonly FeedLevel[] = ['off', 'events', 'records'];

/** Passed by create() and attach(): a tree is made by them, never by `new Tree()` from JavaScript. */
const MAKING = Symbol('Tree');

export class Tree {
  readonly #handle: number;
  #root: Node | undefined;
  #rootId: number | undefined;
  #types: TypeRegistry | undefined;
  #closed = false;

  private constructor(making: typeof MAKING, handle: number) {
    if (making !== MAKING) throw new GroveError('INVALID_ARGUMENT', 'new Tree() does not make a tree: use Tree.create(), or Tree.attach() for one another thread shared');
    this.#handle = handle;
    trackHandle(this, handle);
  }

  static create(): Tree {
    return new Tree(MAKING, native.createTree());
  }

  /** This thread's hold on a tree another thread shared. */
  static attach(shared: SharedTree): Tree {
    if (typeof shared !== 'object' || shared === null || shared.grove !== 'tree' || typeof shared.token !== 'number') {
      throw argumentError('Tree.attach()', "what tree.share() returned ({ grove: 'tree', token })", shared);
    }
    return new Tree(MAKING, native.attachTree(shared.token));
  }

  share(): SharedTree {
    return { grove: 'tree', token: native.shareTree(this.#live()) };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get root(): Node {
    return (this.#root ??= new Node(this, this.#handle, this.#rootRef()));
  }

  /**
   * This thread's registry of abstract types for the tree: their member schemas bind
   * writes from every thread; their operations run in this one (src/abstractTypes.ts).
   */
  get types(): TypeRegistry {
    return (this.#types ??= new TypeRegistry((id, name, members, open) =>
      native.registerType(this.#live(), id, name, members, open),
    ));
  }

  /** The version of the latest change, from any thread. */
  get version(): number {
    return native.treeVersion(this.#live());
  }

  /**
   * Raises the version counter to at least `version` (never lowers it), so that a tree
   * rebuilt from a store never reuses a version it logged before. Returns the version.
   */
  advanceVersion(version: number): number {
    if (!(Number.isSafeInteger(version) && version >= 0)) throw argumentError('advanceVersion()', 'a non-negative integer', version);
    return native.advanceTreeVersion(this.#live(), version);
  }

  /** The node at `path`, or NOT_FOUND saying where the path breaks. */
  node(path: string): Node {
    return new Node(this, this.#handle, native.lookup(this.#live(), this.#rootRef(), checkPath(path, 'node()'), true) as number);
  }

  tryNode(path: string): Node | undefined {
    const ref = native.lookup(this.#live(), this.#rootRef(), checkPath(path, 'tryNode()'), false);
    return ref === undefined ? undefined : new Node(this, this.#handle, ref);
  }

  /** The node with this id, if it is in the tree. */
  nodeById(id: number | bigint): Node | undefined {
    if (typeof id !== 'number' && typeof id !== 'bigint') throw argumentError('nodeById()', 'a number or a bigint', id);
    const ref = native.nodeById(this.#live(), id);
    return ref === undefined ? undefined : new Node(this, this.#handle, ref);
  }

  /** How many nodes are in the tree, the root included. */
  get size(): number {
    return native.treeSize(this.#live());
  }

  /** The next id the tree will give a node. */
  get nextId(): number {
    return native.treeIds(this.#live())[0];
  }

  /** Raises the next id to at least `next` (never lowers it): a tree rebuilt from a store never gives an id twice. */
  advanceIds(next: number): number {
    if (!(Number.isSafeInteger(next) && next >= 0)) throw argumentError('advanceIds()', 'a non-negative integer', next);
    return native.treeIds(this.#live(), next)[0];
  }

  /**
   * The range new ids are given in: 0 for a station on its own; a station of a cluster has
   * a range of its own (ids start at range * 2^40), so ids are unique across the cluster.
   */
  get idRange(): number {
    return native.treeIds(this.#live())[1];
  }

  set idRange(range: number) {
    if (!(Number.isSafeInteger(range) && range >= 0)) throw argumentError('idRange', 'a non-negative integer', range);
    native.treeIds(this.#live(), undefined, range);
  }

  /** The leaf value at `path`, in one native call. */
  value(path: string): LeafValue {
    return native.valueAt(this.#live(), this.#rootRef(), checkPath(path, 'value()'));
  }

  /**
   * The subtree at `path` as a JavaScript value: plain JSON, or typed JSON with every node's
   * type. A caller that knows its shape names it: `tree.get<User>('users/ada')` (unchecked).
   */
  get<T = JsonValue>(path = '', options: ExportOptions = {}): T {
    return JSON.parse(this.exportJSON(path, options.format ?? 'plain', options.depth)) as T;
  }

  /**
   * Replaces whatever is at `path` (Firebase semantics: missing intermediate nodes are
   * created as objects). With a type, the value is converted exactly to it; without one,
   * plain objects become object nodes, arrays lists, strings str, booleans bool, integral
   * numbers i64, other numbers f64, bigints i64 (u64 beyond), Uint8Arrays bytes.
   * Returns the version of the change.
   */
  set(path: string, value: TreeValue | undefined, type?: TypeName | (string & {}) | number): number {
    const typeId = type === undefined ? 0 : this.types.typeId(type, 'set()');
    return native.setPath(this.#live(), this.#rootRef(), checkPath(path, 'set()'), value, typeId);
  }

  /**
   * Appends a detached node (from createNode() or a copy) under the node at `path`, which
   * is made an object, with any missing parent, in the same change. Returns the version.
   */
  append(path: string, node: Node): number {
    const version = native.addPath(this.#live(), this.#rootRef(), checkPath(path, 'append()'), refIn(this, node, 'append()'));
    attached(node);
    return version;
  }

  /** Removes the node at `path`; NOT_FOUND when there is none. Returns the version. */
  delete(path: string): number {
    return native.deletePath(this.#live(), this.#rootRef(), checkPath(path, 'delete()'));
  }

  /** A new detached node, to append() or replaceById() somewhere; without a type, as set() infers it. */
  createNode(name: string | undefined, type: TypeName | (string & {}) | number | undefined, value?: TreeValue): Node {
    if (name !== undefined && typeof name !== 'string') throw argumentError('createNode()', 'a name or undefined', name);
    const typeId = type === undefined ? 0 : this.types.typeId(type, 'createNode()');
    return new Node(this, this.#handle, native.createNode(this.#live(), name ?? '', typeId, value));
  }

  exportJSON(path = '', format: JsonFormat = 'plain', depth?: number): string {
    const index = jsonFormatIndex(format, 'exportJSON()');
    if (depth !== undefined && !(Number.isSafeInteger(depth) && depth >= 0)) {
      throw argumentError('exportJSON()', 'a depth that is a non-negative integer', depth);
    }
    return native.exportJSON(this.#live(), this.#rootRef(), checkPath(path, 'exportJSON()'), index, depth);
  }

  /**
   * Replaces whatever is at `path` with a document in JSON text (plain, typed, or a Nodix
   * node definition). The whole document is checked before the tree is touched, built
   * detached, and put in place in one step; at the root its top-level children are all
   * built first, then each put in place of the child of its name, or, with `replace`, they
   * take the place of all the root's children. Returns the version and what was imported.
   */
  importJSON(path: string, text: string, options: ImportJsonOptions): ImportResult & { version: number } {
    checkPath(path, 'importJSON()');
    if (typeof text !== 'string') throw argumentError('importJSON()', 'JSON text', text);
    const plan = planText(text, options.format, options.maxDepth);
    const relative = normalizePath(path);
    if (relative === '') {
      if (plan.root.type !== 'object') {
        throw new GroveError('TYPE_MISMATCH', `importJSON(): the root is an object; a ${plan.root.type} cannot be imported at ""`, path);
      }
      const built: Node[] = [];
      try {
        let done = 0;
        for (const child of plan.root.children ?? []) {
          const node = this.createNode(child.name, child.type, child.children ? undefined : child.value);
          built.push(node);
          done += buildPlan(node, { root: child, size: 0 }, (n) => options.onProgress?.(done + n, plan.size)) + 1;
        }
        let version = this.version;
        if (options.replace) {
          for (const old of this.root.children()) {
            version = this.root.remove(old);
            old.release();
          }
        }
        for (const node of built) {
          version = options.replace
            ? this.root.append(node)
            : this.#put(node.name, node);
        }
        options.onProgress?.(plan.size, plan.size);
        return { nodes: plan.size, name: plan.root.name, type: plan.root.type, version };
      } finally {
        for (const node of built) node.release();
      }
    }
    // A leaf document (typed JSON of one value) becomes a leaf at the path.
    const top = this.createNode(relative.slice(relative.lastIndexOf('/') + 1), plan.root.type, plan.root.children ? undefined : plan.root.value);
    try {
      buildPlan(top, plan, options.onProgress);
      const version = this.#put(relative, top);
      return { nodes: plan.size, name: plan.root.name, type: plan.root.type, version };
    } finally {
      top.release();
    }
  }

  /** Sets how much the change feed keeps ('off' drops what it holds). */
  setFeed(level: FeedLevel): void {
    const index = FEED_LEVELS.indexOf(level);
    if (index < 0) throw argumentError('setFeed()', "'off', 'events' or 'records'", level);
    native.setFeed(this.#live(), index);
  }

  /** The changes since the last call, from every thread, in version order. */
  takeChanges(): Change[] {
    return changesOf(native.takeChanges(this.#live()));
  }

  /** The tag this thread's changes carry (Change.writer). */
  static get writerTag(): number {
    return native.writerTag();
  }

  /**
   * Applies one record of the store's log or a cluster stream (include/grove/record.h),
   * addressing every node by id; returns the record's version. A record that cannot apply
   * (a node it names is not there) throws INVALID_ARGUMENT naming the record and the op.
   */
  applyRecord(record: string | Uint8Array, { keepVersions = true, after = 0 }: ReplayOptions = {}): number {
    if (typeof record !== 'string' && !(record instanceof Uint8Array)) throw argumentError('applyRecord()', 'JSON text or its bytes', record);
    return native.applyRecord(this.#live(), record, keepVersions, after);
  }

  /** The whole tree, every node with its id and version, with every other thread's writes held back. */
  snapshot(): TreeSnapshot {
    const [changes, body, version, nextId] = native.snapshotTree(this.#live());
    return { changes: changesOf(changes), body, version, nextId };
  }

  /**
   * The subtrees at `paths` in record form (ids kept; undefined where nothing is), read
   * with every other thread's writes held back, and the changes not yet taken, which they hold.
   */
  exportFrozen(paths: string[]): { changes: Change[]; nodes: (string | undefined)[]; nonces: Record<string, number> } {
    if (!Array.isArray(paths)) throw argumentError('exportFrozen()', 'an array of paths', paths);
    const [changes, nodes, nonces] = native.exportFrozen(this.#live(), paths);
    return { changes: changesOf(changes), nodes, nonces: JSON.parse(nonces) };
  }

  /**
   * The last nonce accepted for an owner key (0: none). Owned subtrees take only writes
   * signed with a greater one; the tree keeps them in its records and snapshots, so a
   * signed write is accepted once, across restarts, failovers and migrations.
   */
  nonceOf(key: string): number {
    if (typeof key !== 'string') throw argumentError('nonceOf()', 'a key', key);
    return native.nonceOf(this.#live(), key);
  }

  /**
   * Accepts `nonce` for `key` if it is greater than the last, in one step; returns whether
   * it did. The acceptance is a change of its own ('nonce', seen at `path`), in the record
   * of the write it comes with.
   */
  acceptNonce(key: string, nonce: number, path: string): boolean {
    if (typeof key !== 'string' || key === '') throw argumentError('acceptNonce()', 'a key', key);
    if (!(Number.isSafeInteger(nonce) && nonce > 0)) throw argumentError('acceptNonce()', 'a positive integer nonce', nonce);
    return native.acceptNonce(this.#live(), key, nonce, checkPath(path, 'acceptNonce()'));
  }

  /** Makes this tree (it must be empty) the one a snapshot's body holds: ids and versions kept. */
  loadSnapshot(body: string | Uint8Array): void {
    native.loadTree(this.#live(), body);
  }

  /** A detached subtree from its record form (what exportFrozen() gives), ids kept; put it in place by id. */
  readSubtree(node: string): Node {
    if (typeof node !== 'string') throw argumentError('readSubtree()', 'JSON text', node);
    return new Node(this, this.#handle, native.readSubtree(this.#live(), node, false));
  }

  /** The children of a node in record form (the root's), each detached with its ids; put them in place by id. */
  readChildren(node: string): Node[] {
    if (typeof node !== 'string') throw argumentError('readChildren()', 'JSON text', node);
    return native.readSubtree(this.#live(), node, true).map((ref) => new Node(this, this.#handle, ref));
  }

  /**
   * Lets go of this thread's hold on the tree: its nodes' handles are released, and any
   * later use of the tree or its nodes fails with RELEASED. The tree is freed when the
   * last thread holding it closes it or exits.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#root = undefined;
    native.closeTree(this.#handle);
  }

  #live(): number {
    if (this.#closed) throw new GroveError('RELEASED', 'the tree is closed');
    return this.#handle;
  }

  /** The root's reference (its id: the root is always in the tree). */
  #rootRef(): number {
    return (this.#rootId ??= native.treeRoot(this.#live()));
  }

  /** Puts a detached node in place of whatever is at `path`. */
  #put(path: string, node: Node): number {
    const version = native.putPath(this.#live(), this.#rootRef(), path, refIn(this, node, 'importJSON()'));
    attached(node);
    return version;
  }
}

function changesOf(flat: unknown[]): Change[] {
  const changes: Change[] = [];
  for (let i = 0; i < flat.length; i += CHANGE_STRIDE) {
    const change: Change = {
      version: flat[i] as number,
      op: CHANGE_OPS[flat[i + 1] as number] as ChangeOp,
      writer: flat[i + 2] as number,
      id: flat[i + 3] as number,
      path: flat[i + 4] as string,
    };
    if (flat[i + 5] !== undefined) change.valueJson = flat[i + 5] as string;
    if (flat[i + 6] !== undefined) change.oldValueJson = flat[i + 6] as string;
    if (flat[i + 7] !== undefined) change.record = flat[i + 7] as string;
    const omitted = flat[i + 8] as number;
    if (omitted & 1) change.valueOmitted = true;
    if (omitted & 2) change.oldValueOmitted = true;
    changes.push(change);
  }
  return changes;
}

function checkPath(path: unknown, where: string): string {
  if (typeof path !== 'string') throw argumentError(where, 'a path string', path);
  return path;
}
