// A tree held by this thread. Trees are shared between worker threads by posting what
// share() returns and calling Tree.attach() on the other side; the tree lives while any
// thread holds it, and close() (or a worker's exit) lets go of this thread's hold.

import { type ImportFormat, type ImportResult, planText, buildPlan } from './codec/import.js';
import { TypeRegistry } from './abstractTypes.js';
import { argumentError, GroveError } from './errors.js';
import { native, trackHandle } from './native.js';
import { handleOf, Node } from './node.js';
import { type JsonValue, type LeafValue, type TreeValue, type TypeName } from './types.js';

/** What share() returns: a plain object to post to a worker for Tree.attach(). */
export interface SharedTree {
  readonly grove: 'tree';
  readonly token: number;
}

export type ChangeOp = 'set' | 'add' | 'remove' | 'replace' | 'sort';

export interface Change {
  version: number;
  op: ChangeOp;
  /** The node's path when the change was made (for 'remove', where it was). */
  path: string;
  /** The node set, added, removed, sorted, or put in place of `replaced`. */
  node: Node;
  /** 'replace': the node taken out. */
  replaced?: Node;
  /** 'set': the value written and the value it replaced. */
  value?: LeafValue;
  oldValue?: LeafValue;
  /** 'sort': the member sorted by, and the direction. */
  sort?: { member: string; descending: boolean };
}

export type JsonFormat = 'plain' | 'typed';

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

const CHANGE_OPS: readonly ChangeOp[] = ['set', 'add', 'remove', 'replace', 'sort'];
const CHANGE_STRIDE = 7;

export class Tree {
  readonly #handle: number;
  #root: Node | undefined;
  #types: TypeRegistry | undefined;
  #closed = false;

  private constructor(handle: number) {
    this.#handle = handle;
    trackHandle(this, handle);
  }

  static create(): Tree {
    return new Tree(native.createTree());
  }

  /** This thread's hold on a tree another thread shared. */
  static attach(shared: SharedTree): Tree {
    if (typeof shared !== 'object' || shared === null || shared.grove !== 'tree' || typeof shared.token !== 'number') {
      throw argumentError('Tree.attach()', "what tree.share() returned ({ grove: 'tree', token })", shared);
    }
    return new Tree(native.attachTree(shared.token));
  }

  share(): SharedTree {
    return { grove: 'tree', token: native.shareTree(this.#live()) };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get root(): Node {
    return (this.#root ??= new Node(this, native.treeRoot(this.#live())));
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
    return new Node(this, native.lookup(this.#rootHandle(), checkPath(path, 'node()'), true) as number);
  }

  tryNode(path: string): Node | undefined {
    const handle = native.lookup(this.#rootHandle(), checkPath(path, 'tryNode()'), false);
    return handle === undefined ? undefined : new Node(this, handle);
  }

  /** The leaf value at `path`, in one native call. */
  value(path: string): LeafValue {
    return native.valueAt(this.#rootHandle(), checkPath(path, 'value()'));
  }

  /** The subtree at `path` as a JavaScript value: plain JSON, or typed JSON with every node's type. */
  get(path = '', options: ExportOptions = {}): JsonValue {
    return JSON.parse(this.exportJSON(path, options.format ?? 'plain', options.depth));
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
    return native.setPath(this.#rootHandle(), checkPath(path, 'set()'), value, typeId);
  }

  /** Removes the node at `path`; NOT_FOUND when there is none. Returns the version. */
  delete(path: string): number {
    return native.deletePath(this.#rootHandle(), checkPath(path, 'delete()'));
  }

  /** A new detached node, to append() or replaceById() somewhere; without a type, as set() infers it. */
  createNode(name: string | undefined, type: TypeName | (string & {}) | number | undefined, value?: TreeValue): Node {
    if (name !== undefined && typeof name !== 'string') throw argumentError('createNode()', 'a name or undefined', name);
    const typeId = type === undefined ? 0 : this.types.typeId(type, 'createNode()');
    return new Node(this, native.createNode(this.#live(), name ?? '', typeId, value));
  }

  exportJSON(path = '', format: JsonFormat = 'plain', depth?: number): string {
    if (format !== 'plain' && format !== 'typed') {
      throw new GroveError('INVALID_ARGUMENT', `exportJSON(): format must be 'plain' or 'typed', got ${String(format)}`);
    }
    if (depth !== undefined && !(Number.isSafeInteger(depth) && depth >= 0)) {
      throw argumentError('exportJSON()', 'a depth that is a non-negative integer', depth);
    }
    return native.exportJSON(this.#rootHandle(), checkPath(path, 'exportJSON()'), format === 'typed', depth);
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
    const relative = path.startsWith('/') ? path.slice(1) : path;
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
            : native.putPath(this.#rootHandle(), node.name, handleOf(node, 'importJSON()'));
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
      const version = native.putPath(this.#rootHandle(), relative, handleOf(top, 'importJSON()'));
      return { nodes: plan.size, name: plan.root.name, type: plan.root.type, version };
    } finally {
      top.release();
    }
  }

  /** Turns the change feed on (or off, dropping what it holds). */
  setFeed(on: boolean): void {
    if (typeof on !== 'boolean') throw argumentError('setFeed()', 'a boolean', on);
    native.setFeed(this.#live(), on);
  }

  /** The changes since the last call, from every thread, in version order. */
  takeChanges(): Change[] {
    const flat = native.takeChanges(this.#live());
    const changes: Change[] = [];
    for (let i = 0; i < flat.length; i += CHANGE_STRIDE) {
      const op = CHANGE_OPS[flat[i + 1] as number] as ChangeOp;
      const change: Change = {
        version: flat[i] as number,
        op,
        path: flat[i + 2] as string,
        node: new Node(this, flat[i + 3] as number),
      };
      if (op === 'replace') change.replaced = new Node(this, flat[i + 4] as number);
      if (op === 'set') {
        change.value = flat[i + 5] as LeafValue;
        change.oldValue = flat[i + 6] as LeafValue;
      }
      if (op === 'sort') change.sort = { member: flat[i + 5] as string, descending: flat[i + 6] as boolean };
      changes.push(change);
    }
    return changes;
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

  #rootHandle(): number {
    return handleOf(this.root, 'tree');
  }
}

function checkPath(path: unknown, where: string): string {
  if (typeof path !== 'string') throw argumentError(where, 'a path string', path);
  return path;
}
