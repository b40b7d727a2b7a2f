// Abstract types: a registered member schema binds every write to nodes of the type, from
// any thread; values take the schema's member types; node.invoke runs the operations;
// queries match by family and is-a flags.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type AbstractType, Tree, TYPE_IDS } from '../src/index.js';
import { expectGroveError } from './helpers/errors.js';

let tree: Tree;
beforeEach(() => {
  tree = Tree.create();
});
afterEach(() => {
  tree.close();
});

const counter: AbstractType = {
  name: 'counter',
  id: 0x10000001,
  members: { count: 'u64', label: { type: 'str', optional: true } },
  operations: {
    add(node, args) {
      const count = node.child('count')!;
      try {
        return count.increment((args as { by?: number } | undefined)?.by ?? 1);
      } finally {
        count.release();
      }
    },
  },
};

const point: AbstractType = { name: 'point', id: 0x10000002, members: { at: 'vec3', weight: 'number' } };

/** The message of the TYPE_MISMATCH with which a write that breaks a schema is refused. */
const refusal = (fn: () => unknown): string => expectGroveError(fn, 'TYPE_MISMATCH').message;

describe('member schemas', () => {
  beforeEach(() => {
    tree.types.register(counter).register(point);
  });

  it('give a value\'s members the schema\'s types', () => {
    tree.set('visits', { count: 0 }, 'counter');
    expect(tree.node('visits').type).toBe('type 0x10000001');
    expect(tree.node('visits/count').type).toBe('u64');
    tree.set('p', { at: [1, 2, 3], weight: 0.5 }, 'point');
    expect(tree.node('p/at').type).toBe('vec3');
    expect(tree.node('p/weight').type).toBe('f64');  // 'number' takes any number type: inferred
  });

  it('refuse values that break them', () => {
    expect(refusal(() => tree.set('c', { label: 'x' }, 'counter'))).toBe("a counter needs its member 'count'");
    expect(refusal(() => tree.set('c', { count: -1 }, 'counter'))).toBe(
      "member 'count' of a counter: cannot convert f64 -1 to u64: out of range 0..18446744073709551615",
    );
    expect(refusal(() => tree.set('c', { count: 1, colour: 'red' }, 'counter'))).toBe(
      "a counter has no member 'colour'; its members are count, label",
    );
    expect(refusal(() => tree.set('p', { at: [1, 2], weight: 1 }, 'point'))).toMatch(/member 'at' of a point: .* a vec3 has 3/);
    expect(refusal(() => tree.set('p', { at: [1, 2, 3], weight: 'heavy' }, 'point'))).toBe(
      "member 'weight' of a point must be type 0x01000FFC, not str",
    );
    expect(tree.tryNode('c')).toBeUndefined();
  });

  it('refuse writes under a node that break them, naming the node', () => {
    tree.set('visits', { count: 1 }, 'counter');
    expect(refusal(() => tree.set('visits/count', 'many'))).toBe("'visits': member 'count' of a counter must be u64, not str");
    expect(refusal(() => tree.set('visits/colour', 'red'))).toBe("'visits': a counter has no member 'colour'; its members are count, label");
    expect(refusal(() => tree.set('visits/colour/deep', 1))).toMatch(/no member 'colour'/);
    expect(refusal(() => tree.delete('visits/count'))).toBe("'visits': member 'count' of a counter is required and cannot be removed");
    const visits = tree.node('visits');
    expect(refusal(() => visits.add('count', 'u64', 5))).toMatch(/has one member 'count' and this one has it already/);
    expect(refusal(() => visits.remove(visits.child('count')!))).toMatch(/is required/);
    expect(refusal(() => visits.remove(0))).toMatch(/is required/);
    expect(refusal(() => visits.append(tree.createNode('x', 'str', 'y')))).toMatch(/no member 'x'/);
    const replacement = tree.createNode('count', 'str', 'x');
    expect(refusal(() => visits.replaceById(visits.child('count')!.id, replacement))).toMatch(/must be u64, not str/);
    // What the schema allows goes through.
    tree.set('visits/count', 7);
    tree.set('visits/label', 'home');
    tree.delete('visits/label');
    expect(tree.get('visits')).toEqual({ count: 7 });
  });

  it('leave an empty node of the type to be filled in', () => {
    const c = tree.root.add('c', 'counter');
    c.add('count', 'u64', 3);
    expect(tree.get('c')).toEqual({ count: 3 });
  });

  it('bind writes from every thread, registered or not', async () => {
    tree.set('visits', { count: 1 }, 'counter');
    const worker = new Worker(fileURLToPath(new URL('./fixtures/schema-worker.mjs', import.meta.url)), {
      workerData: { tree: tree.share(), path: 'visits' },
    });
    const refusals = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(refusals).toEqual({
      wrongType: "'visits': member 'count' of a counter must be u64, not str",
      unknownMember: "'visits': a counter has no member 'colour'; its members are count, label",
      removal: "'visits': member 'count' of a counter is required and cannot be removed",
      allowed: 'ok',
    });
    expect(tree.value('visits/count')).toBe(5);
  });

  it('may be registered again with the same schema, as another thread does, but not changed', () => {
    // Other holds on the tree, each with its own registry, as other threads have.
    const [again, changed] = [Tree.attach(tree.share()), Tree.attach(tree.share())];
    try {
      again.types.register(counter);
      expect(() => changed.types.register({ ...counter, members: { count: 'u8' } })).toThrow(
        /type counter \(type 0x10000001\) conflicts with the registered type counter/,
      );
      expect(() => tree.types.register({ name: 'other', id: 0x10000001 })).toThrow(/already registered/);
    } finally {
      again.close();
      changed.close();
    }
  });

  it('an open type takes members it does not list', () => {
    tree.types.register({ name: 'bag', id: 0x10000004, members: { n: 'u8' }, open: true });
    tree.set('b', { n: 1, anything: 'goes' }, 'bag');
    expect(tree.node('b/n').type).toBe('u8');
    tree.types.register({ name: 'free', id: 0x10000008 });
    tree.set('f', { whatever: [1] }, 'free');
  });
});

describe('invoke', () => {
  it('runs an operation of the node\'s type with the node', () => {
    tree.types.register(counter);
    tree.set('visits', { count: 1 }, 'counter');
    const visits = tree.node('visits');
    expect(visits.invoke('add', { by: 2 })).toBe(3);
    expect(visits.invoke('add')).toBe(4);
    expect(() => visits.invoke('reset')).toThrow('a counter node has no operation "reset"; it has add');
    expect(() => tree.node('visits/count').invoke('add')).toThrow('a u64 node has no operation "add"');
  });
});

describe('queries by type', () => {
  it('match by family and is-a flags, and by registered names', () => {
    tree.types.register(counter).register({ name: 'special counter', id: 0x10000003 });
    tree.set('c', { count: 0 }, 'counter');
    tree.set('s', {}, 'special counter');
    tree.set('arr', new Float32Array(2));
    const root = tree.root;
    expect(root.childOfType('counter')!.name).toBe('c');
    expect(root.childOfType(0x10000002)!.name).toBe('s');  // a raw id: the is-a rule, flag 0x2 is only the special one's
    expect(root.childOfType('special counter')!.name).toBe('s');  // a counter is no special counter
    expect(root.find({ member: 'count', op: '>=', value: 0, type: 'counter' }).map((n) => n.name)).toEqual(['c']);
    expect(root.childOfType('array')!.name).toBe('arr');
    for (const [name, type] of [['z', 'tx_hash'], ['x', 'hash'], ['y', 'block_hash']] as const) tree.set(`hs/${name}`, '00'.repeat(32), type);
    const hs = tree.node('hs');
    expect(hs.childOfType('hash')!.name).toBe('z');  // a tx_hash is a hash
    expect(hs.childOfType('block_hash')!.name).toBe('y');
    expect(hs.childOfType('tx_hash')!.name).toBe('z');
    expect(hs.childOfType(TYPE_IDS.block_hash)!.name).toBe('z');  // the raw id shares the hash flag with every hash
    expect(() => root.childOfType('nonesuch')).toThrow(/unknown type 'nonesuch'/);
  });
});
