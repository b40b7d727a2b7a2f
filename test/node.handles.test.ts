// What a Node is since issue 18: a name for its node by id, resolved on every call, holding
// nothing native while its node is in the tree. Removed, moved, detached, released and used
// from another thread; a model of which nodes are alive against random writes; typed reads.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { Node, Tree } from '../src/index.js';
import { native } from '../src/native.js';
import { expectGroveError } from './helpers/errors.js';

let tree: Tree;
beforeEach(() => {
  tree = Tree.create();
});
afterEach(() => {
  tree.close();
});

describe('a node in the tree', () => {
  it('holds no handle, and reads what its node holds now', () => {
    tree.set('a', { n: 1 });
    const handles = native.stats().handles;
    const n = tree.node('a/n');
    const children = tree.node('a').children();
    expect(native.stats().handles).toBe(handles);
    tree.set('a/n', 2); // in place: the same node
    expect(n.value).toBe(2);
    expect(children[0]!.value).toBe(2);
  });

  it('answers NOT_FOUND naming the node once it is removed, keeping its id and a name it read', () => {
    tree.set('a', { n: 1, m: { deep: true } });
    const n = tree.node('a/n');
    const deep = tree.node('a/m/deep');
    expect(n.name).toBe('n');
    const { id } = n;
    tree.delete('a');
    for (const read of [() => n.value, () => n.path, () => n.parent(), () => n.child(0), () => n.version, () => n.toJSON()]) {
      expectGroveError(read, 'NOT_FOUND', `node ${id} was removed`);
    }
    expectGroveError(() => deep.value, 'NOT_FOUND', `node ${deep.id} was removed`); // removed with its parent
    expectGroveError(() => tree.root.remove(n), 'NOT_FOUND', `node ${id} was removed`);
    expect(n.id).toBe(id);
    expect(n.name).toBe('n');
  });

  it('follows its node when it moves with its id', () => {
    tree.set('a/x', { v: 1 });
    tree.set('b', {});
    const x = tree.node('a/x');
    const [record] = tree.exportFrozen(['a/x']).nodes;
    tree.delete('a/x');
    expectGroveError(() => x.path, 'NOT_FOUND', `node ${x.id} was removed`);
    tree.append('b', tree.readSubtree(record!)); // the same node, by id, elsewhere
    expect(x.path).toBe('b/x');
    expect(x.child('v')!.value).toBe(1);
    expect(tree.nodeById(x.id)!.path).toBe('b/x');
  });
});

describe('a detached node', () => {
  it('is held by a handle until it is attached, then named by id', () => {
    const handles = native.stats().handles;
    const d = tree.createNode('d', 'object');
    const c = d.add('c', 'u8', 7); // reached through a detached node: held too
    expect(native.stats().handles).toBe(handles + 2);
    expect(c.path).toBe('c'); // from the detached top
    expect(d.child('c')!.value).toBe(7);
    expect(native.stats().handles).toBe(handles + 3); // that child() took a handle of its own
    tree.root.append(d);
    expect(native.stats().handles).toBe(handles + 2); // d's went with the append
    expect(d.path).toBe('d');
    expect(c.path).toBe('d/c'); // c's handle still names it, wherever it is
    tree.delete('d');
    expectGroveError(() => d.value, 'NOT_FOUND', `node ${d.id} was removed`);
    expect(c.value).toBe(7); // a handle holds its node, in the tree or not
    c.release();
    expect(native.stats().handles).toBe(handles + 1); // the other child() result waits for the collector
  });

  it('is freed by release(), and by `using` at the end of its block', () => {
    const handles = native.stats().handles;
    const d = tree.createNode('d', 'u8', 1);
    expect(native.stats().handles).toBe(handles + 1);
    d.release();
    expect(native.stats().handles).toBe(handles);
    expectGroveError(() => d.value, 'RELEASED', 'this node handle was released; look the node up again');
    {
      using scoped = tree.createNode('s', 'str', 'x');
      expect(scoped.value).toBe('x');
      expect(native.stats().handles).toBe(handles + 1);
    }
    expect(native.stats().handles).toBe(handles);
  });
});

describe('a released node', () => {
  it('answers RELEASED, whether it was in the tree or detached, and leaves its node alone', () => {
    tree.set('a', 1);
    const a = tree.node('a');
    a.release();
    a.release(); // twice is harmless
    expectGroveError(() => a.value, 'RELEASED', /released/);
    expectGroveError(() => a.id, 'RELEASED', /released/);
    expectGroveError(() => tree.root.remove(a), 'RELEASED', /released/);
    expect(tree.value('a')).toBe(1);
    a[Symbol.dispose](); // what `using` calls: the same as release()
  });
});

describe('a node used from another thread', () => {
  it('reads in a worker what the main thread wrote, and NOT_FOUND once the main thread removed it', async () => {
    tree.set('a/x', { v: 1 });
    const worker = new Worker(fileURLToPath(new URL('./fixtures/node-worker.mjs', import.meta.url)), { workerData: { tree: tree.share(), path: 'a/x' } });
    const next = () => new Promise<any>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    try {
      const first = await next();
      expect(first).toEqual({ id: tree.node('a/x').id, path: 'a/x', value: 1 });
      tree.set('a/x/v', 2);
      worker.postMessage('read');
      expect(await next()).toEqual({ path: 'a/x', value: 2 });
      tree.delete('a/x');
      worker.postMessage('read');
      expect(await next()).toEqual({ code: 'NOT_FOUND', message: `node ${first.id} was removed` });
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('close');
      await exited;
    }
  });
});

describe('nodes held across random writes (model)', () => {
  it('answers for each held node what the model says: its value while it is in the tree, NOT_FOUND after', () => {
    type Op = { kind: 'add'; value: number } | { kind: 'remove'; at: number } | { kind: 'replace'; at: number; value: number } | { kind: 'read'; at: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('read' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const t = Tree.create();
        try {
          const list = t.root.add('list', 'list');
          type Held = { node: Node; value: number; alive: boolean };
          const held: Held[] = []; // every Node handed out
          const order: Held[] = []; // the list as the model has it
          for (const o of ops) {
            if (o.kind === 'add') {
              const h = { node: list.add(undefined, 'u8', o.value), value: o.value, alive: true };
              held.push(h);
              order.push(h);
            } else if (o.kind === 'remove' && order.length > 0) {
              const index = o.at % order.length;
              list.remove(index);
              order.splice(index, 1)[0]!.alive = false;
            } else if (o.kind === 'replace' && order.length > 0) {
              const index = o.at % order.length;
              list.replaceById(order[index]!.node.id, t.createNode(undefined, 'u8', o.value));
              order[index]!.alive = false;
              const h = { node: list.child(index)!, value: o.value, alive: true };
              held.push(h);
              order[index] = h;
            } else if (o.kind === 'read' && held.length > 0) {
              const h = held[o.at % held.length]!;
              if (h.alive) expect(h.node.value).toBe(h.value);
              else expectGroveError(() => h.node.value, 'NOT_FOUND', `node ${h.node.id} was removed`);
            }
          }
          expect(list.children().map((n) => n.id)).toEqual(order.map((h) => h.node.id));
          for (const h of held) {
            if (h.alive) expect(h.node.value).toBe(h.value);
            else expectGroveError(() => h.node.value, 'NOT_FOUND', `node ${h.node.id} was removed`);
          }
        } finally {
          t.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('typed reads', () => {
  it('hands back the shape a caller names', () => {
    interface User {
      name: string;
      age: number;
    }
    tree.set('users/ada', { name: 'Ada', age: 36 });
    const ada = tree.get<User>('users/ada');
    const age: number = ada.age; // typed: no cast at the use
    expect(age).toBe(36);
    const users = tree.node('users').toJSON<Record<string, User>>();
    expect(users.ada!.name).toBe('Ada');
    const plain = tree.get('users'); // without one, a JsonValue as before
    expect(plain).toEqual({ ada: { name: 'Ada', age: 36 } });
  });
});
