// The Tree API: paths with Firebase semantics, JSON export, sharing, the change feed, close.
import { afterEach, describe, expect, it } from 'vitest';

import { Tree } from '../src/index.js';
import { native } from '../src/native.js';
import { expectGroveError } from './helpers/errors.js';

const trees: Tree[] = [];
function tree(): Tree {
  const t = Tree.create();
  trees.push(t);
  return t;
}
afterEach(() => {
  for (const t of trees.splice(0)) t.close();
});

describe('making a tree', () => {
  it('refuses `new Tree()` from JavaScript, saying what makes one', () => {
    const Constructor = Tree as unknown as new () => Tree;
    expectGroveError(() => new Constructor(), 'INVALID_ARGUMENT', /new Tree\(\) does not make a tree: use Tree\.create\(\)/);
  });
});

describe('set and get', () => {
  it('builds subtrees from plain values with the documented type inference', () => {
    const t = tree();
    t.set('a', { s: 'text', b: true, i: 42, f: 1.5, big: 2n ** 63n, neg: -(2n ** 63n), n: null, bytes: new Uint8Array([1, 2]), list: [1, 'x'] });
    const types = Object.fromEntries(t.node('a').children().map((n) => [n.name, n.type]));
    expect(types).toEqual({ s: 'str', b: 'bool', i: 'i64', f: 'f64', big: 'u64', neg: 'i64', n: 'null', bytes: 'bytes', list: 'list' });
    expect(t.node('a/list').children().map((n) => n.type)).toEqual(['i64', 'str']);
    expect(t.value('a/big')).toBe(2n ** 63n);
    expect(t.value('a/neg')).toBe(-(2n ** 63n));
    expect(t.value('a/bytes')).toEqual(new Uint8Array([1, 2]));
    expect(t.get('a')).toEqual({ s: 'text', b: true, i: 42, f: 1.5, big: '9223372036854775808', neg: '-9223372036854775808', n: null, bytes: 'AQI=', list: [1, 'x'] });
  });

  it('creates missing intermediate nodes as objects and returns increasing versions', () => {
    const t = tree();
    const v1 = t.set('a/b/c', 1);
    expect(t.node('a').type).toBe('object');
    expect(t.node('a/b').type).toBe('object');
    const v2 = t.set('a/b/d', 2);
    expect(v2).toBeGreaterThan(v1);
    expect(t.version).toBe(v2);
    expect(t.get()).toEqual({ a: { b: { c: 1, d: 2 } } });
  });

  it('replaces whatever was at the path, keeping its position', () => {
    const t = tree();
    t.set('x', { first: 1, second: 2, third: 3 });
    t.set('x/second', { now: 'an object' });
    expect(t.node('x').children().map((n) => n.name)).toEqual(['first', 'second', 'third']);
    expect(t.get('x/second')).toEqual({ now: 'an object' });
    t.set('x/second', 'leaf again');
    expect(t.value('x/second')).toBe('leaf again');
  });

  it('writes a leaf in place when the value fits it, and replaces it when not', () => {
    const t = tree();
    t.set('u', 200, 'u8');
    const before = t.node('u');
    t.set('u', 7); // no type given: 7 fits the u8, so the node stays
    expect(before.value).toBe(7);
    expect(t.node('u')).toMatchObject({ id: before.id, type: 'u8' });
    t.set('u', 300); // does not fit a u8: replaced by the inferred i64
    expect(t.node('u').type).toBe('i64');
    expectGroveError(() => before.parent(), 'NOT_FOUND', `node ${before.id} was removed`); // the u8 was replaced
    expectGroveError(() => t.set('u', 1.5, 'i64'), 'TYPE_MISMATCH', /1\.5.*i64/); // an explicit type never falls back
  });

  it('converts a leaf exactly to an explicit type', () => {
    const t = tree();
    t.set('u', 200, 'u8');
    expect(t.node('u').type).toBe('u8');
    t.set('f', 0.5, 'f32');
    expect(t.value('f')).toBe(0.5);
    t.set('z', undefined, 'u16');
    expect(t.value('z')).toBe(0);
    t.set('o', { a: 1 }, 'object');
    t.set('l', [true], 'list');
    expect(t.get()).toMatchObject({ o: { a: 1 }, l: [true] });
    expectGroveError(() => t.set('u', 300, 'u8'), 'TYPE_MISMATCH', /300.*u8/);
    expectGroveError(() => t.set('u', 1.5, 'i32'), 'TYPE_MISMATCH', /1\.5.*i32/);
    expectGroveError(() => t.set('u', 'abc', 'u8'), 'TYPE_MISMATCH', /str.*u8/);
    expectGroveError(() => t.set('u', { a: 1 }, 'u8'), 'TYPE_MISMATCH', /object.*u8/);
    expectGroveError(() => t.set('u', 5, 'object'), 'TYPE_MISMATCH', /object.*number/);
    expect(t.value('u')).toBe(200); // failed writes change nothing
  });

  it('refuses values it cannot store, saying where they are', () => {
    const t = tree();
    expectGroveError(() => t.set('a', 2n ** 64n), 'TYPE_MISMATCH', /beyond 64 bits/);
    expectGroveError(() => t.set('a', -(2n ** 63n) - 1n), 'TYPE_MISMATCH', /beyond 64 bits/);
    expectGroveError(() => t.set('a', undefined as never), 'INVALID_ARGUMENT', /undefined/);
    expectGroveError(() => t.set('a', { x: { y: () => 1 } } as never), 'INVALID_ARGUMENT', /value\.x\.y.*function/);
    expectGroveError(() => t.set('a', [1, Symbol('s')] as never), 'INVALID_ARGUMENT', /value\[1\].*symbol/);
    expectGroveError(() => t.set('a', { when: new Date() } as never), 'INVALID_ARGUMENT', /value\.when is not a plain object/);
    expectGroveError(() => t.set('a', { 'a/b': 1 }), 'INVALID_ARGUMENT', /value\.a\/b.*'\/'/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectGroveError(() => t.set('a', cyclic as never), 'LIMIT_EXCEEDED', /deeper than 64/);
    expect(t.tryNode('a')).toBeUndefined(); // nothing half-built was attached
  });

  it('refuses to write under a leaf or to replace the root', () => {
    const t = tree();
    t.set('leaf', 5);
    expectGroveError(() => t.set('leaf/child', 1), 'TYPE_MISMATCH', /'leaf' is a leaf of type i64/);
    expectGroveError(() => t.set('', { a: 1 }), 'INVALID_ARGUMENT', /root/);
    expectGroveError(() => t.delete('/'), 'INVALID_ARGUMENT', /root/);
  });

  it('reads typed JSON and plain JSON of a subtree', () => {
    const t = tree();
    t.set('n', 7, 'u8');
    expect(t.get('n')).toBe(7);
    expect(t.get('n', { format: 'typed' })).toEqual({ name: 'n', type: 'u8', value: 7 });
    expect(t.exportJSON('', 'plain')).toBe('{"n":7}');
    expectGroveError(() => t.exportJSON('', 'xml' as never), 'INVALID_ARGUMENT', /'plain', 'typed', 'store' or 'snapshot'/);
  });
});

describe('lookups', () => {
  it('finds nodes by path, ignoring a leading slash', () => {
    const t = tree();
    t.set('a/b', 1);
    expect(t.node('/a/b').value).toBe(1);
    expect(t.node('').name).toBe('');
    expect(t.tryNode('a/c')).toBeUndefined();
  });

  it('says where a missing path breaks', () => {
    const t = tree();
    t.set('a/b', 1);
    const error = expectGroveError(() => t.node('a/x/y'), 'NOT_FOUND', "no node at 'a/x/y': 'a' has no child 'x'");
    expect(error.path).toBe('a/x/y');
    expectGroveError(() => t.value('q'), 'NOT_FOUND', "the root has no child 'q'");
    expectGroveError(() => t.get('q'), 'NOT_FOUND', /'q'/);
    expectGroveError(() => t.delete('a/q'), 'NOT_FOUND', /'a' has no child 'q'/);
  });

  it('refuses malformed paths and names', () => {
    const t = tree();
    expectGroveError(() => t.set('a//b', 1), 'INVALID_ARGUMENT', /empty name/);
    expectGroveError(() => t.set('a/', 1), 'INVALID_ARGUMENT', /must not end with '\/'/);
    expectGroveError(() => t.set('a/./b', 1), 'INVALID_ARGUMENT', /'\.' and '\.\.' are not names/);
    expectGroveError(() => t.set('..', 1), 'INVALID_ARGUMENT', /'\.' and '\.\.' are not names/);
    expectGroveError(() => t.set('x'.repeat(256), 1), 'INVALID_ARGUMENT', /256 bytes is longer than the limit of 255/);
    expectGroveError(() => t.set('tab\there', 1), 'INVALID_ARGUMENT', /control character 0x09/);
    expectGroveError(() => t.tryNode('a\u0000b'), 'INVALID_ARGUMENT', /control character 0x00/);
    t.set('x'.repeat(255), 1); // the longest name
    t.set('ünï', 1); // multi-byte names count bytes
    expectGroveError(() => t.set('ü'.repeat(128), 1), 'INVALID_ARGUMENT', /256 bytes/);
  });

  it('reads a structured node with get(), not value()', () => {
    const t = tree();
    t.set('o', {});
    expectGroveError(() => t.value('o'), 'TYPE_MISMATCH', /of type object.*get\(\)/);
  });
});

describe('wrong argument types', () => {
  it('says what was expected and what it got', () => {
    const t = tree();
    expectGroveError(() => t.node(5 as never), 'INVALID_ARGUMENT', 'node(): expected a path string, got number');
    expectGroveError(() => t.set(null as never, 1), 'INVALID_ARGUMENT', 'set(): expected a path string, got null');
    expectGroveError(() => t.set('a', 1, 'int' as never), 'INVALID_ARGUMENT', /unknown type 'int'; expected one of null, bool/);
    expectGroveError(() => t.set('a', 1, {} as never), 'INVALID_ARGUMENT', /expected a type name or a type id, got object/);
    expectGroveError(() => t.set('a', 1, 0x05000001), 'INVALID_ARGUMENT', /unknown type id/);
    expectGroveError(() => t.createNode(3 as never, 'u8'), 'INVALID_ARGUMENT', /createNode\(\): expected a name or undefined, got number/);
    expectGroveError(() => t.setFeed('yes' as never), 'INVALID_ARGUMENT', /setFeed\(\): expected 'off', 'events' or 'records', got string/);
    expectGroveError(() => Tree.attach({ token: 1 } as never), 'INVALID_ARGUMENT', /Tree\.attach\(\): expected what tree\.share\(\) returned/);
  });

  it('never crashes the addon on raw bad input', () => {
    const t = tree();
    const treeHandle = native.createTree();
    const root = native.treeRoot(treeHandle);
    expect(root).toBe(1); // the root's id: a node in the tree is named by its id
    expectGroveError(() => native.value(treeHandle, '1' as never), 'INVALID_ARGUMENT', 'value(): the handle must be a number, got string');
    expectGroveError(() => native.value('1' as never, root), 'INVALID_ARGUMENT', 'value(): the tree handle must be a number, got string');
    expectGroveError(() => native.value(treeHandle, 1.5), 'INVALID_ARGUMENT', /1\.5 is not a node reference/);
    expectGroveError(() => native.value(treeHandle, 2 ** 53), 'INVALID_ARGUMENT', /is not a node reference/);
    expectGroveError(() => native.value(treeHandle, -1), 'INVALID_ARGUMENT', /not a node handle/);
    expectGroveError(() => native.value(treeHandle, NaN), 'RELEASED', /released/);
    expectGroveError(() => native.value(treeHandle, 1e15), 'NOT_FOUND', 'node 1000000000000000 was removed');
    expectGroveError(() => native.value(root, root), 'INVALID_ARGUMENT', /not a tree handle/);
    expectGroveError(() => native.valueAt(treeHandle, root, {} as never), 'INVALID_ARGUMENT', /the path must be a string, got object/);
    expectGroveError(() => native.childAt(treeHandle, root, -3), 'INVALID_ARGUMENT', /non-negative integer/);
    expectGroveError(() => native.setValue(treeHandle, root, {} as never), 'INVALID_ARGUMENT', /got object/);
    expectGroveError(() => native.treeVersion(root), 'INVALID_ARGUMENT', /not a tree handle/);
    expectGroveError(() => native.find(treeHandle, root, 'm', 9, 1, false, 0xffffffff, -1), 'INVALID_ARGUMENT', /op must be/);
    expectGroveError(() => native.snapshotBatch(native.snapshot(treeHandle, root), 0, false, [] as never), 'INVALID_ARGUMENT', /refs must be a Float64Array/);
    expectGroveError(() => native.attachTree(-1), 'INVALID_ARGUMENT', /token/);
    expectGroveError(() => native.attachTree(1e12), 'NOT_FOUND', /no shared tree has token/);
    expectGroveError(() => native.setup(5 as never), 'INVALID_ARGUMENT', /error class must be a constructor/);
    expect(() => native.release(123.5)).not.toThrow(); // finalizers may pass stale handles: ignored
    native.release(treeHandle);
    expect(t.version).toBe(0);
  });
});

describe('createNode', () => {
  it('makes detached nodes that append or replace', () => {
    const t = tree();
    t.set('list', [], 'list');
    const item = t.createNode(undefined, 'object', { seq: 1 });
    expect(item.name).toMatch(/^#\d+$/);
    expect(item.path).toBe('');
    t.node('list').append(item);
    expect(item.path).toBe(`list/${item.name}`);
    expectGroveError(() => t.node('list').append(item), 'INVALID_ARGUMENT', /already has \(or had\) a parent/);
    const other = Tree.create();
    trees.push(other);
    expectGroveError(() => t.node('list').append(other.createNode('x', 'u8')), 'INVALID_ARGUMENT', /different trees/);
  });
});

describe('change feed', () => {
  it('records every change in version order with paths, values and records', () => {
    const t = tree();
    t.set('before', 1); // not recorded: the feed is off
    t.setFeed('records');
    t.set('a', { n: 1 });
    const n = t.node('a/n');
    n.value = 2;
    t.set('a/n', 'three'); // a str cannot live in an i64 node: the node is replaced
    t.node('a').add('m', 'u8', 4);
    t.node('a').sort('x', true);
    const order = t.node('a').list().children.map((child) => child.id);
    t.delete('a/m');
    const changes = t.takeChanges();
    expect(changes.map((c) => [c.op, c.path])).toEqual([
      ['add', 'a'],
      ['set', 'a/n'],
      ['replace', 'a/n'],
      ['add', 'a/m'],
      ['sort', 'a'],
      ['remove', 'a/m'],
    ]);
    const versions = changes.map((c) => c.version);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(changes[1]).toMatchObject({ id: n.id, valueJson: '2', oldValueJson: '1', writer: Tree.writerTag });
    expect(changes[2]).toMatchObject({ valueJson: '"three"', oldValueJson: '2' });
    expect(JSON.parse(changes[2]!.record!)).toMatchObject({ o: 'put', r: n.id, n: { name: 'n', type: 'str', value: 'three' } });
    // a sort is recorded as the order it made: replaying it needs no member values
    expect(JSON.parse(changes[4]!.record!)).toEqual({ v: changes[4]!.version, o: 'sort', i: t.node('a').id, order });
    expect(changes[5]).toMatchObject({ oldValueJson: '4' });
    expect(t.takeChanges()).toEqual([]);
    t.setFeed('off');
    t.set('after', 1);
    expect(t.takeChanges()).toEqual([]);
  });

  it('makes one change of a write through missing parents, seen at the path written', () => {
    const t = tree();
    t.setFeed('records');
    const version = t.set('x/y/z', 5);
    const [change, ...more] = t.takeChanges();
    expect(more).toEqual([]);
    expect(change).toMatchObject({ op: 'add', path: 'x/y/z', valueJson: '5', version, id: t.node('x').id });
    const record = JSON.parse(change!.record!);
    expect(record).toMatchObject({ o: 'add', p: t.root.id, n: { name: 'x', children: [{ name: 'y', children: [{ name: 'z', value: 5 }] }] } });
    // every node the change made took its version
    for (const path of ['x', 'x/y', 'x/y/z']) expect(t.node(path).version).toBe(version);
  });
});

describe('close and share', () => {
  it('makes any later use of the tree or its nodes fail with RELEASED', () => {
    const t = Tree.create();
    t.set('a', 1);
    const a = t.node('a');
    const root = t.root;
    t.close();
    t.close(); // closing twice is harmless
    expect(t.closed).toBe(true);
    expectGroveError(() => t.get(), 'RELEASED', 'the tree is closed');
    expectGroveError(() => t.version, 'RELEASED', 'the tree is closed');
    expectGroveError(() => t.share(), 'RELEASED', 'the tree is closed');
    expectGroveError(() => a.value, 'RELEASED', /tree is closed/);
    expectGroveError(() => a.name, 'RELEASED', /tree is closed/);
    expectGroveError(() => root.child('a'), 'RELEASED', /tree is closed/);
    a.release(); // releasing a node of a closed tree is harmless
  });

  it('attaches a shared tree in the same thread, as a second holder', () => {
    const t = tree();
    t.set('a', 1);
    const shared = t.share();
    expect(shared).toEqual({ grove: 'tree', token: expect.any(Number) });
    expect(t.share()).toEqual(shared);
    const again = Tree.attach(structuredClone(shared));
    expect(again.value('a')).toBe(1);
    again.set('a', 2);
    expect(t.value('a')).toBe(2);
    again.close();
    expect(t.value('a')).toBe(2); // the other holder keeps it alive
  });

  it('frees the tree with its last holder; its token then says so', () => {
    const before = native.stats().trees;
    const t = Tree.create();
    const shared = t.share();
    expect(native.stats().trees).toBe(before + 1);
    t.close();
    expect(native.stats().trees).toBe(before);
    expectGroveError(() => Tree.attach(shared), 'RELEASED', /is gone/);
  });

  it('releases node handles explicitly and through close', () => {
    const t = Tree.create();
    t.set('a', [1, 2, 3]);
    const a = t.node('a');
    const start = native.stats().handles;
    expect(a.children()).toHaveLength(3);
    expect(native.stats().handles).toBe(start); // nodes in the tree are named by id: no handle
    const nodes = [1, 2, 3].map((n) => t.createNode(undefined, 'u8', n));
    expect(native.stats().handles).toBe(start + 3);
    nodes[0]!.release();
    nodes[0]!.release(); // twice is harmless
    expect(native.stats().handles).toBe(start + 2);
    expectGroveError(() => nodes[0]!.value, 'RELEASED', /node handle was released/);
    t.close(); // the handles stay, answering "tree is closed", until released or collected
    expect(native.stats().handles).toBe(start + 2);
    expectGroveError(() => nodes[1]!.value, 'RELEASED', /tree is closed/);
    for (const n of [a, ...nodes]) n.release();
    expect(native.stats().handles).toBe(start);
  });
});
