import { afterEach, describe, expect, it, vi } from 'vitest';
import { importInto, type BuildTarget } from '../src/codec/import.js';
import { PlanError, type PlanType } from '../src/codec/plan.js';
import { isStructured, isTypeName, type LeafValue } from '../src/types.js';

/** A stand-in for the tree's Node that records what was built and which handles are open. */
class FakeNode implements BuildTarget {
  readonly children: FakeNode[] = [];
  released = false;

  constructor(
    readonly handles: { open: number; failAfter?: number },
    readonly name: string | undefined,
    readonly type: PlanType,
    readonly value?: LeafValue,
  ) {}

  add(name: string | undefined, type: PlanType, value?: LeafValue): FakeNode {
    if (this.released) throw new Error('add on a released handle');
    if (this.handles.failAfter !== undefined && this.handles.failAfter-- === 0) throw new Error('tree refused the node');
    const child = new FakeNode(this.handles, name, type, value);
    this.children.push(child);
    this.handles.open++;
    return child;
  }

  release(): void {
    if (this.released) throw new Error('released twice');
    this.released = true;
    this.handles.open--;
  }
}

function target(failAfter?: number): FakeNode {
  return new FakeNode({ open: 0, failAfter }, '', 'object');
}

type Shape = { name: string | undefined; type: PlanType; value?: LeafValue; children?: Shape[] };

function shape(node: FakeNode): Shape {
  if (!isTypeName(node.type) || isStructured(node.type)) {
    return { name: node.name, type: node.type, children: node.children.map(shape) };
  }
  return { name: node.name, type: node.type, value: node.value };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('importInto', () => {
  it('adds the top-level members under the target, lists unnamed, and releases every handle', () => {
    const root = target();
    const result = importInto(root, '{"a": 1, "o": {"s": "x"}, "l": [true, [], {}], "big": 18446744073709551615}', {
      format: 'plain',
    });
    expect(result).toEqual({ nodes: 8, name: undefined, type: 'object' });
    expect(shape(root).children).toEqual([
      { name: 'a', type: 'i64', value: 1 },
      { name: 'o', type: 'object', children: [{ name: 's', type: 'str', value: 'x' }] },
      {
        name: 'l',
        type: 'list',
        children: [
          { name: undefined, type: 'bool', value: true },
          { name: undefined, type: 'list', children: [] },
          { name: undefined, type: 'object', children: [] },
        ],
      },
      { name: 'big', type: 'u64', value: 18446744073709551615n },
    ]);
    expect(root.handles.open).toBe(0);
    expect(root.released).toBe(false);
  });

  it('adds the items of a top-level array as unnamed children', () => {
    const root = target();
    expect(importInto(root, '[1, "two"]', { format: 'plain' })).toEqual({ nodes: 2, name: undefined, type: 'list' });
    expect(shape(root).children).toEqual([
      { name: undefined, type: 'i64', value: 1 },
      { name: undefined, type: 'str', value: 'two' },
    ]);
  });

  it('adds to what is already there, replacing nothing', () => {
    const root = target();
    importInto(root, '{"a": 1}', { format: 'plain' });
    importInto(root, '{"a": 2}', { format: 'plain' });
    expect(root.children.map((c) => [c.name, c.value])).toEqual([
      ['a', 1],
      ['a', 2],
    ]);
  });

  it('imports a Nodix script as one child per definition, each with its declared type', () => {
    const root = target();
    const result = importInto(root, 'let NODE_BITCORE_NODE SelfNode = `{ (NODE_GFX_INT)"version":60018, "p2p":{} }`\nlet NODE_GFX_INT one = 1', {
      format: 'nodix',
    });
    expect(result).toEqual({ nodes: 4, name: undefined, type: 'object' });
    expect(shape(root).children).toEqual([
      {
        name: 'SelfNode',
        type: '0xFB000001',
        children: [
          { name: 'version', type: 'u32', value: 60018 },
          { name: 'p2p', type: 'object', children: [] },
        ],
      },
      { name: 'one', type: 'u32', value: 1 },
    ]);
  });

  it('imports typed JSON', () => {
    const root = target();
    const text = '{"name":"","type":"object","children":[{"name":"h","type":"bytes","value":"3q2+7w=="}]}';
    importInto(root, text, { format: 'typed' });
    expect(shape(root).children).toEqual([{ name: 'h', type: 'bytes', value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) }]);
  });

  it('refuses a top-level scalar', () => {
    expect(() => importInto(target(), '42', { format: 'plain' })).toThrow(
      new TypeError('cannot import a single i64 value: the top level must be an object or an array'),
    );
  });

  it('adds nothing when any part of the document is invalid', () => {
    const root = target();
    expect(() => importInto(root, '{"a": 1, "b": [1, 2, 1e999]}', { format: 'plain' })).toThrow(PlanError);
    expect(root.children).toHaveLength(0);
  });

  it('refuses an unknown format', () => {
    expect(() => importInto(target(), '{}', { format: 'yaml' as 'plain' })).toThrow(
      new TypeError(`unknown import format "yaml": expected 'plain', 'typed' or 'nodix'`),
    );
  });

  it('passes maxDepth to the parser', () => {
    expect(() => importInto(target(), '[[[1]]]', { format: 'plain', maxDepth: 2 })).toThrow(
      'nesting is deeper than the limit of 2 levels at line 1, column 3',
    );
  });

  it('releases the handles it holds when the tree refuses a node midway', () => {
    const root = target(3);
    expect(() => importInto(root, '{"a": {"b": {"c": 1, "d": 2}}}', { format: 'plain' })).toThrow('tree refused the node');
    expect(root.handles.open).toBe(0);
  });

  it('builds very deep documents iteratively', () => {
    const depth = 20_000;
    const root = target();
    const result = importInto(root, '['.repeat(depth) + ']'.repeat(depth), { format: 'plain', maxDepth: depth });
    expect(result.nodes).toBe(depth - 1);
    let node = root;
    let levels = 0;
    while (node.children.length > 0) {
      node = node.children[0];
      levels++;
    }
    expect(levels).toBe(depth - 1);
    expect(root.handles.open).toBe(0);
  });

  it('reports progress once at the end of a small import', () => {
    const progress: [number, number][] = [];
    importInto(target(), '{"a": [1, 2, 3]}', { format: 'plain', onProgress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([[4, 4]]);
  });

  it('reports progress of a large import at most every 100 ms', () => {
    // A clock that moves 60 ms each time it is read: reports come every other check.
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 60));
    const items = 10_000;
    const progress: number[] = [];
    importInto(target(), `[${Array(items).fill('0').join(',')}]`, {
      format: 'plain',
      onProgress: (done, total) => {
        expect(total).toBe(items);
        progress.push(done);
      },
    });
    expect(progress).toEqual([2048, 4096, 6144, 8192, items]);
  });
});
