// The Node API: properties, values and exact conversion, navigation, structure, queries,
// snapshots, atomics, release.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { INTEGER_TYPE, Node, Tree, TYPE_IDS } from '../src/index.js';
import { native } from '../src/native.js';
import { expectGroveError } from './helpers/errors.js';

let tree: Tree;
beforeEach(() => {
  tree = Tree.create();
});
afterEach(() => {
  tree.close();
});

/** A list of people with name and age members. */
function people(): Node {
  tree.set('people', [
    { name: 'ann', age: 31 },
    { name: 'bob', age: 25 },
    { name: 'cy', age: 40, kids: ['x', 'y'] },
    { name: 'dee' },
  ]);
  return tree.node('people');
}

describe('properties', () => {
  it('exposes id, name, type, version, path and childCount', () => {
    const root = tree.root;
    const n = root.add('count', 'u16', 7);
    expect(n.name).toBe('count');
    expect(n.type).toBe('u16');
    expect(n.typeId).toBe(TYPE_IDS.u16);
    expect(n.path).toBe('count');
    expect(typeof n.id).toBe('number');
    expect(root.childById(n.id)!.name).toBe('count');
    expect(root.childCount).toBe(1);
    const before = root.version;
    n.value = 8;
    expect(n.version).toBeGreaterThan(before);
    expect(root.version).toBe(n.version); // ancestors carry the latest version under them
  });

  it('generates names for unnamed children', () => {
    const list = tree.root.add('l', 'list');
    const a = list.add(undefined, 'bool', true);
    const b = list.add('', 'bool', false);
    expect(a.name).toBe(`#${a.id}`);
    expect(b.name).toBe(`#${b.id}`);
  });
});

describe('values', () => {
  it('reads each type back as the documented JavaScript value', () => {
    const root = tree.root;
    expect(root.add('b', 'bool', true).value).toBe(true);
    expect(root.add('i8', 'i8', -128).value).toBe(-128);
    expect(root.add('u64', 'u64', 2n ** 64n - 1n).value).toBe(2n ** 64n - 1n);
    expect(root.add('safe', 'u64', 2 ** 53 - 1).value).toBe(2 ** 53 - 1);
    expect(root.add('i64', 'i64', -(2n ** 53n)).value).toBe(-(2n ** 53n));
    expect(root.add('f32', 'f32', 0.25).value).toBe(0.25);
    expect(root.add('f64', 'f64', Math.PI).value).toBe(Math.PI);
    expect(root.add('s', 'str', 'héllo').value).toBe('héllo');
    expect(root.add('z', 'null').value).toBe(null);
    expect(root.add('o', 'object').value).toBe(null);
    const bytes = root.add('bytes', 'bytes', Buffer.from([9, 8]));
    const read = bytes.value as Uint8Array;
    expect(read).toEqual(new Uint8Array([9, 8]));
    read[0] = 0; // a copy: the node keeps its bytes
    expect(bytes.value).toEqual(new Uint8Array([9, 8]));
    expect(root.add('zero', 'u32').value).toBe(0);
  });

  it('converts writes exactly to the node type', () => {
    const u8 = tree.root.add('u8', 'u8', 1);
    u8.value = 255;
    u8.value = 10n;
    expectGroveError(() => (u8.value = 300), 'TYPE_MISMATCH', 'cannot convert f64 300 to u8: out of range 0..255');
    expectGroveError(() => (u8.value = 1.5), 'TYPE_MISMATCH', /1\.5 to u8: not an integer/);
    expectGroveError(() => (u8.value = -1), 'TYPE_MISMATCH', /out of range/);
    expectGroveError(() => (u8.value = 'x'), 'TYPE_MISMATCH', /str "x" to u8/);
    expectGroveError(() => (u8.value = null), 'TYPE_MISMATCH', /null/);
    expectGroveError(() => (u8.value = 2n ** 64n), 'TYPE_MISMATCH', /beyond 64 bits/);
    expectGroveError(() => (u8.value = {} as never), 'INVALID_ARGUMENT', /got object/);
    expect(u8.value).toBe(10);
    const i32 = tree.root.add('i32', 'i32', 0);
    expectGroveError(() => (i32.value = 1.5), 'TYPE_MISMATCH', /i32: not an integer/);
    expectGroveError(() => (i32.value = 2 ** 31), 'TYPE_MISMATCH', /out of range/);
    expectGroveError(() => tree.root.add('bad', 'u8', 300), 'TYPE_MISMATCH', /300 to u8/);
    expect(tree.root.child('bad')).toBeUndefined();
    expectGroveError(() => (tree.root.value = 1), 'TYPE_MISMATCH', /holds no value/);
  });

  it('reads a value as another type only when exact', () => {
    const n = tree.root.add('n', 'i64', -5);
    expect(n.as('i8')).toBe(-5);
    expect(n.as('f64')).toBe(-5);
    expectGroveError(() => n.as('u32'), 'TYPE_MISMATCH', 'cannot convert i64 -5 to u32: out of range 0..4294967295');
    expectGroveError(() => n.as('str'), 'TYPE_MISMATCH', /i64 -5 to str/);
    expectGroveError(() => n.as('int' as never), 'INVALID_ARGUMENT', /unknown type 'int'/);
    const big = tree.root.add('big', 'u64', 2n ** 60n + 1n);
    expectGroveError(() => big.as('f64'), 'TYPE_MISMATCH', /not exactly representable/);
    expectGroveError(() => tree.root.as('i64'), 'TYPE_MISMATCH', /holds children/);
  });
});

describe('navigation', () => {
  it('finds children by name, index, type and id, and walks up', () => {
    const list = people();
    const bob = list.child(1)!;
    expect(bob.child('name')!.value).toBe('bob');
    expect(list.child(9)).toBeUndefined();
    expect(list.child('nobody')).toBeUndefined();
    expect(bob.childOfType('integer')!.name).toBe('age');
    expect(bob.childOfType(INTEGER_TYPE)!.name).toBe('age');
    expect(bob.childOfType('f32')).toBeUndefined();
    expect(list.childById(bob.id)!.name).toBe(bob.name);
    expect(list.childById(BigInt(bob.id))!.name).toBe(bob.name);
    const age = bob.child('age')!;
    expect(age.parent()!.id).toBe(bob.id);
    expect(age.ancestor('list')!.name).toBe('people');
    expect(age.ancestor('u8')).toBeUndefined();
    expect(tree.root.parent()).toBeUndefined();
    expect(tree.root.lookup(`people/${bob.name}/age`)!.value).toBe(25);
    expect(list.lookup('nope/x')).toBeUndefined();
  });

  it('says what a wrong argument should have been', () => {
    const list = people();
    expectGroveError(() => list.child({} as never), 'INVALID_ARGUMENT', 'child(): expected a name or an index, got object');
    expectGroveError(() => list.child(null as never), 'INVALID_ARGUMENT', 'child(): expected a name or an index, got null');
    expectGroveError(() => list.child(-1), 'INVALID_ARGUMENT', /index must be a non-negative integer, got -1/);
    expectGroveError(() => list.child(0.5), 'INVALID_ARGUMENT', /non-negative integer, got 0\.5/);
    expectGroveError(() => list.childById('1' as never), 'INVALID_ARGUMENT', /expected a number or a bigint, got string/);
    expectGroveError(() => list.childById(-1n), 'INVALID_ARGUMENT', /never negative/);
    expectGroveError(() => list.lookup(1 as never), 'INVALID_ARGUMENT', /expected a path string, got number/);
    expectGroveError(() => list.lookup('a//b'), 'INVALID_ARGUMENT', /empty name/);
    expectGroveError(() => list.childOfType('vec9' as never), 'INVALID_ARGUMENT', /unknown type 'vec9'/);
    expectGroveError(() => list.ancestor([] as never), 'INVALID_ARGUMENT', /got array/);
  });
});

describe('structure', () => {
  it('adds, appends, removes and replaces children', () => {
    const root = tree.root;
    const a = root.add('a', 'object');
    a.add('x', 'u8', 1);
    const y = a.add('y', 'u8', 2);
    a.add('z', 'u8', 3);
    a.remove(y);
    expect(a.children().map((n) => n.name)).toEqual(['x', 'z']);
    a.remove(0);
    expect(a.children().map((n) => n.name)).toEqual(['z']);
    expectGroveError(() => a.remove(5), 'NOT_FOUND', /no child at index 5/);
    expectGroveError(() => a.remove(y), 'NOT_FOUND', `node ${y.id} was removed`);
    expectGroveError(() => a.remove(root), 'NOT_FOUND', /not a child/);
    expectGroveError(() => a.remove('z' as never), 'INVALID_ARGUMENT', 'remove(): expected a child Node or an index, got string');
    const z = a.child('z')!;
    const w = tree.createNode('w', 'str', 'new');
    const version = a.replaceById(z.id, w);
    expect(version).toBe(tree.version);
    expect(a.child(0)!.name).toBe('w');
    expectGroveError(() => z.parent(), 'NOT_FOUND', `node ${z.id} was removed`); // a Node holds no node: the replaced one is gone
    expectGroveError(() => z.value, 'NOT_FOUND', `node ${z.id} was removed`);
    expectGroveError(() => a.replaceById(12345, tree.createNode('q', 'u8')), 'NOT_FOUND', /no child with id 12345/);
    expectGroveError(() => a.append(z), 'NOT_FOUND', `node ${z.id} was removed`);
    expectGroveError(() => a.append(a.child('w')!), 'INVALID_ARGUMENT', /already has \(or had\) a parent; add a copy/);
    expectGroveError(() => a.append({} as never), 'INVALID_ARGUMENT', 'append(): expected a Node, got object');
    expectGroveError(() => a.child('w')!.add('c', 'u8'), 'TYPE_MISMATCH', /only object, list and application types hold children/);
  });

  it('refuses invalid names', () => {
    const root = tree.root;
    expectGroveError(() => root.add('a/b', 'u8'), 'INVALID_ARGUMENT', /'\/' separates names/);
    expectGroveError(() => root.add('.', 'u8'), 'INVALID_ARGUMENT', /'\.' and '\.\.' are not names/);
    expectGroveError(() => root.add('..', 'u8'), 'INVALID_ARGUMENT', /'\.' and '\.\.' are not names/);
    expectGroveError(() => root.add('a\nb', 'u8'), 'INVALID_ARGUMENT', /control character 0x0a/);
    expectGroveError(() => root.add('del\u007f', 'u8'), 'INVALID_ARGUMENT', /control character 0x7f/);
    expectGroveError(() => root.add('n'.repeat(256), 'u8'), 'INVALID_ARGUMENT', /longer than the limit of 255 bytes/);
    expectGroveError(() => root.add(5 as never, 'u8'), 'INVALID_ARGUMENT', 'add(): expected a name or undefined, got number');
    expectGroveError(() => root.add('ok', 'float' as never), 'INVALID_ARGUMENT', /add\(\): unknown type 'float'/);
    expect(root.childCount).toBe(0);
  });

  it('copies subtrees and children with new ids', () => {
    const list = people();
    const copy = list.copy();
    expect(copy.path).toBe('');
    expect(copy.toJSON()).toEqual(list.toJSON());
    tree.root.append(copy);
    expect(copy.name).toBe('people');
    expect(tree.root.children().map((n) => n.name)).toEqual(['people', 'people']);
    expect(copy.child(0)!.id).not.toBe(list.child(0)!.id);
    const target = tree.root.add('target', 'list');
    target.add(undefined, 'u8', 1);
    target.copyChildrenTo(list);
    expect(list.childCount).toBe(5);
    expect(list.child(4)!.value).toBe(1);
    expectGroveError(() => list.copyChildrenTo(null as never), 'INVALID_ARGUMENT', /expected a Node, got null/);
  });

  it('exports a node as plain JSON', () => {
    const list = people();
    expect(JSON.stringify(list.child(2))).toBe('{"name":"cy","age":40,"kids":["x","y"]}');
    expect(list.child(0)!.child('age')!.toJSON()).toBe(31);
  });
});

describe('find and sort', () => {
  it('finds children by member value or member child count', () => {
    const list = people();
    const names = (nodes: Node[]) => nodes.map((n) => n.child('name')!.value);
    expect(names(list.find({ member: 'age', op: '>', value: 30 }))).toEqual(['ann', 'cy']);
    expect(names(list.find({ member: 'age', op: '<=', value: 31 }))).toEqual(['ann', 'bob']);
    expect(names(list.find({ member: 'age', op: '!=', value: 25 }))).toEqual(['ann', 'cy']);
    expect(names(list.find({ member: 'name', op: '=', value: 'dee' }))).toEqual(['dee']);
    expect(names(list.find({ member: 'age', op: '>=', value: 0, limit: 1 }))).toEqual(['ann']);
    expect(names(list.find({ member: 'kids', op: '=', value: 2, byCount: true }))).toEqual(['cy']);
    expect(list.find({ member: 'age', op: '>', value: 0, type: 'u8' })).toEqual([]);
    expect(list.find({ member: 'age', op: '=', value: 'text' })).toEqual([]);
    expectGroveError(() => list.find({ member: 'age', op: '~' as never, value: 1 }), 'INVALID_ARGUMENT', /op must be one of/);
    expectGroveError(() => list.find({ member: 5 as never, op: '=', value: 1 }), 'INVALID_ARGUMENT', /member: expected a string, got number/);
    expectGroveError(() => list.find({ member: 'a', op: '=', value: 1, limit: -1 }), 'INVALID_ARGUMENT', /limit/);
    expectGroveError(() => list.find({ member: 'a', op: '=', value: {} as never }), 'INVALID_ARGUMENT', /got object/);
    expectGroveError(() => list.find(undefined as never), 'INVALID_ARGUMENT', /expected a query object, got undefined/);
  });

  it('sorts stably by a member, children lacking it last', () => {
    const list = people();
    const names = () => list.children().map((n) => n.child('name')!.value);
    list.sort('age');
    expect(names()).toEqual(['bob', 'ann', 'cy', 'dee']);
    list.sort('age', true);
    expect(names()).toEqual(['cy', 'ann', 'bob', 'dee']);
    list.sort('name');
    expect(names()).toEqual(['ann', 'bob', 'cy', 'dee']);
    expectGroveError(() => list.sort(1 as never), 'INVALID_ARGUMENT', /sort\(\): expected a member name, got number/);
    expectGroveError(() => list.sort('a/b'), 'INVALID_ARGUMENT', /'\/'/);
    expectGroveError(() => list.sort(''), 'INVALID_ARGUMENT', /must not be empty/);
  });
});

describe('iteration', () => {
  it('iterates the list as it was when iteration began', () => {
    const list = tree.root.add('list', 'list');
    for (let i = 0; i < 5; i++) list.add(undefined, 'u8', i);
    const ids = list.children().map((n) => n.id);
    const seen: unknown[] = [];
    const children: Node[] = [];
    for (const child of list) {
      seen.push(child.id);
      children.push(child);
      if (seen.length === 1) {
        list.remove(4);
        list.add(undefined, 'u8', 99);
        list.sort('missing');
      }
    }
    expect(seen).toEqual(ids);
    expect(children.slice(0, 4).map((n) => n.value)).toEqual([0, 1, 2, 3]);
    expectGroveError(() => children[4]!.value, 'NOT_FOUND', `node ${ids[4]} was removed`); // removed after the iteration began
    expect([...list].map((n) => n.value)).toEqual([0, 1, 2, 3, 99]);
    expect([...list.reversed()].map((n) => n.value)).toEqual([99, 3, 2, 1, 0]);
    expect([...tree.root.add('empty', 'list')]).toEqual([]);
  });

  it('releases the snapshot when iteration stops early', () => {
    const list = tree.root.add('list', 'list');
    for (let i = 0; i < 3; i++) list.add(undefined, 'u8', i);
    const iterator = list[Symbol.iterator]();
    expect(iterator.next().value!.value).toBe(0);
    expect(iterator.return!()).toEqual({ value: undefined, done: true });
    expect(iterator.next()).toEqual({ value: undefined, done: true });
  });
});

describe('atomics', () => {
  it('increments integers and floats, refusing overflow and non-numbers', () => {
    const n = tree.root.add('n', 'u8', 250);
    expect(n.increment()).toBe(251);
    expect(n.increment(4)).toBe(255);
    expectGroveError(() => n.increment(), 'TYPE_MISMATCH', /would overflow/);
    expect(n.increment(-255)).toBe(0);
    expectGroveError(() => n.increment(0.5), 'TYPE_MISMATCH', /not an integer/);
    expectGroveError(() => n.increment('1' as never), 'INVALID_ARGUMENT', 'increment(): expected a number or a bigint, got string');
    const big = tree.root.add('big', 'u64', 2n ** 64n - 2n);
    expect(big.increment(1n)).toBe(2n ** 64n - 1n);
    const f = tree.root.add('f', 'f64', 0.5);
    expect(f.increment(0.25)).toBe(0.75);
    expectGroveError(() => tree.root.add('s', 'str', 'a').increment(), 'TYPE_MISMATCH', /cannot increment str/);
  });

  it('compares and sets, and sets only a zero', () => {
    const n = tree.root.add('n', 'i32', 5);
    expect(n.compareAndSet(4, 9)).toEqual({ ok: false, value: 5 });
    expect(n.compareAndSet(5n, 9)).toEqual({ ok: true, value: 9 });
    expect(n.compareAndSet(9.0, 10)).toEqual({ ok: true, value: 10 });
    expectGroveError(() => n.compareAndSet(10, 1.5), 'TYPE_MISMATCH', /not an integer/);
    expect(n.setIfZero(3)).toEqual({ ok: false, value: 10 });
    const s = tree.root.add('s', 'str');
    expect(s.setIfZero('first')).toEqual({ ok: true, value: 'first' });
    expect(s.setIfZero('second')).toEqual({ ok: false, value: 'first' });
  });
});

describe('release', () => {
  it('makes a released node fail with RELEASED, and leaves the tree alone', () => {
    const n = tree.root.add('n', 'u8', 1);
    n.release();
    expectGroveError(() => n.value, 'RELEASED', 'this node handle was released; look the node up again');
    expectGroveError(() => n.child(0), 'RELEASED', /released/);
    expectGroveError(() => tree.root.append(n), 'RELEASED', /released/);
    expect(tree.value('n')).toBe(1);
  });

  it('releases the handles of nodes the garbage collector takes', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const list = tree.root.add('list', 'list');
    for (let i = 0; i < 100; i++) list.add(undefined, 'u8', 1);
    const before = native.stats().handles;
    list.children(); // nodes in the tree take no handle
    expect(native.stats().handles).toBe(before);
    for (let i = 0; i < 100; i++) tree.createNode(undefined, 'u8', 1); // 100 detached nodes, dropped at once
    expect(native.stats().handles).toBe(before + 100);
    for (let attempt = 0; attempt < 50 && native.stats().handles > before; attempt++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(native.stats().handles).toBeLessThanOrEqual(before); // earlier garbage may go too
  });
});
