// tree.value(path) takes a fast path (raw N-API, the path decoded from UTF-16 in a stack
// buffer) for the common case and the general one otherwise; both must agree on every
// path: non-ASCII names, lone surrogates, paths around the buffer's size, and errors.
import { describe, expect, it } from 'vitest';

import { GroveError, Tree } from '../src/index.js';
import { native } from '../src/native.js';
import { nodeArgs } from '../src/node.js';

describe('tree.value(path)', () => {
  it('reads names of every UTF-8 length', () => {
    const tree = Tree.create();
    const names = ['ascii', 'ünïcødé', '✓ check', '漢字', '🌲 tree', 'mixed-ü-✓-🌲'];
    names.forEach((name, i) => tree.set(`top/${name}/leaf`, i, 'i64'));
    names.forEach((name, i) => expect(tree.value(`top/${name}/leaf`)).toBe(i));
    expect(() => tree.value('top/ünïcødX/leaf')).toThrow(/has no child 'ünïcødX'/);
    tree.close();
  });

  it('refuses a lone surrogate, as every other call does, and never reads it as U+FFFD', () => {
    const tree = Tree.create();
    expect(() => tree.set('\uD800', 1, 'i64')).toThrow(/unpaired surrogate \(U\+D800 at index 0\)/);
    tree.set('\uFFFD', 1, 'i64');
    expect(tree.value('\uFFFD')).toBe(1);
    for (const path of ['\uD800', '\uDC00', 'a/\uDC00x', '\uFFFD/\uD800']) {
      expect(() => tree.value(path)).toThrow(GroveError);
      expect(() => tree.value(path)).toThrow(/unpaired surrogate/);
    }
    tree.close();
  });

  it('reads paths shorter and longer than the fast path holds', () => {
    const tree = Tree.create();
    for (const length of [250, 253, 254, 255, 256, 600]) {
      let path = `L${length}`;
      while (path.length < length) path += path.length + 11 <= length ? '/xxxxxxxxxx' : 'y'.repeat(length - path.length);
      expect(path).toHaveLength(length);
      tree.set(path, length, 'i64');
      expect(tree.value(path)).toBe(length);
    }
    tree.close();
  });

  it('reports malformed paths and wrong arguments the same way', () => {
    const tree = Tree.create();
    tree.set('a/b', 1, 'i64');
    const [treeHandle, root] = nodeArgs(tree.root, 'test');
    expect(() => tree.value('a/')).toThrow(/must not end with '\/'/);
    expect(() => tree.value('a//b')).toThrow(/empty name/);
    expect(() => tree.value('a/../b')).toThrow(/'\.' and '\.\.'/);
    expect(() => tree.value('a')).toThrow(/holds children, not a value/);
    expect(() => native.valueAt(treeHandle, root, 5 as unknown as string)).toThrow(/the path must be a string, got number/);
    expect(() => native.valueAt(treeHandle, 'x' as unknown as number, 'a/b')).toThrow(/the handle must be a number, got string/);
    try {
      tree.value('a/c');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GroveError);
      expect((e as GroveError).code).toBe('NOT_FOUND');
      expect((e as GroveError).path).toBe('a/c');
    }
    tree.close();
  });
});
