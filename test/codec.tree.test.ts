// Import into the real tree: the codecs against the native exporter and Node.add().
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importInto, planText } from '../src/codec/import.js';
import type { PlanNode } from '../src/codec/plan.js';
import { Tree } from '../src/tree.js';
import type { TypeName } from '../src/types.js';

const TYPED = `{"name":"","type":"object","children":[
  {"name":"n","type":"null","value":null},
  {"name":"b","type":"bool","value":true},
  {"name":"u64","type":"u64","value":"18446744073709551615"},
  {"name":"i64","type":"i64","value":"-9223372036854775808"},
  {"name":"i8","type":"i8","value":-128},
  {"name":"f32","type":"f32","value":0.1},
  {"name":"nz","type":"f64","value":"-0"},
  {"name":"nan","type":"f32","value":"NaN"},
  {"name":"inf","type":"f64","value":"-Infinity"},
  {"name":"s","type":"str","value":"héllo 😀"},
  {"name":"by","type":"bytes","value":"3q2+7w=="},
  {"name":"l","type":"list","children":[{"name":"#77","type":"u8","value":7},{"name":"x","type":"i16","value":-5}]},
  {"name":"o","type":"object","children":[]}
]}`;

describe('import into the tree', () => {
  it('reproduces a typed export exactly', () => {
    const first = Tree.create();
    expect(importInto(first.root, TYPED, { format: 'typed' }).nodes).toBe(15);
    const exported = first.exportJSON('', 'typed');
    expect(exported).toBe(TYPED.replace(/\n\s*/g, ''));
    const second = Tree.create();
    importInto(second.root, exported, { format: 'typed' });
    expect(second.exportJSON('', 'typed')).toBe(exported);
  });

  it('imports plain JSON and Nodix definitions with their types', () => {
    const tree = Tree.create();
    importInto(tree.root, '{"big": 18446744073709551615, "l": [2.5, null]}', { format: 'plain' });
    importInto(tree.root, 'let NODE_BITCORE_NODE SelfNode = `{ (NODE_GFX_INT)"version":60018, (NODE_GFX_DATA)"d":"00ff", "f":1.1 }`', {
      format: 'nodix',
    });
    const types = (JSON.parse(tree.exportJSON('', 'typed')) as { children: { name: string; type: TypeName }[] }).children;
    expect(types.map(({ name, type }) => [name, type])).toEqual([
      ['big', 'u64'],
      ['l', 'list'],
      ['SelfNode', '0xFB000001'],
    ]);
    expect(tree.node('SelfNode').children().map(({ name, type }) => [name, type])).toEqual([
      ['version', 'u32'],
      ['d', 'bytes'],
      ['f', 'f32'],
    ]);
    expect(tree.value('big')).toBe(18446744073709551615n);
    expect(tree.value('SelfNode/f')).toBe(Math.fround(1.1));
  });
});

// Random typed trees: import them, export them natively, and read the export back.
const integerTypes: [TypeName, bigint, bigint][] = [
  ['i8', -(2n ** 7n), 2n ** 7n - 1n],
  ['i32', -(2n ** 31n), 2n ** 31n - 1n],
  ['i64', -(2n ** 63n), 2n ** 63n - 1n],
  ['u16', 0n, 2n ** 16n - 1n],
  ['u64', 0n, 2n ** 64n - 1n],
];

const leaf: fc.Arbitrary<Omit<PlanNode, 'name'>> = fc.oneof(
  fc.constant({ type: 'null' as const, value: null }),
  fc.boolean().map((value) => ({ type: 'bool' as const, value })),
  fc.constantFrom(...integerTypes).chain(([type, min, max]) =>
    fc.bigInt({ min, max }).map((big) => ({ type, value: big >= -(2n ** 53n) && big <= 2n ** 53n ? Number(big) : big })),
  ),
  fc.double().map((value) => ({ type: 'f64' as const, value })),
  fc.float().map((value) => ({ type: 'f32' as const, value })),
  fc.string({ unit: 'grapheme' }).map((value) => ({ type: 'str' as const, value })),
  fc.uint8Array({ maxLength: 8 }).map((value) => ({ type: 'bytes' as const, value })),
);

const name = fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !/[\x00-\x1f\x7f/]/.test(s) && s !== '.' && s !== '..');

const members = fc.array(fc.tuple(name, leaf), { maxLength: 12 });

describe('property: native export reads back to the plan that built it', () => {
  it('holds for random leaves of every type', () => {
    fc.assert(
      fc.property(members, (entries) => {
        const children: PlanNode[] = entries.map(([key, node]) => ({ ...node, name: key }));
        const tree = Tree.create();
        const list = tree.root.add('items', 'list');
        for (const child of children) list.add(undefined, child.type, child.value).release();
        const object = tree.root.add('members', 'object');
        for (const child of children) object.add(child.name, child.type, child.value).release();

        const copy = Tree.create();
        importInto(copy.root, tree.exportJSON('', 'typed'), { format: 'typed' });
        const plan = planText(copy.exportJSON('', 'typed'), 'typed').root.children!;
        expect(plan[0].children!.map(({ type, value }) => ({ type, value }))).toEqual(
          children.map(({ type, value }) => ({ type, value })),
        );
        expect(plan[1].children).toEqual(children);
        list.release();
        object.release();
      }),
      { numRuns: 200 },
    );
  });
});

describe('property: a plain export writes the first child of each name', () => {
  it('holds for objects whose children share names, small lists (scanned) and large (indexed) alike', () => {
    const names = fc.constantFrom('a', 'b', 'c', 'dd', 'e', ...Array.from({ length: 40 }, (_, i) => `k${i}`));
    fc.assert(
      fc.property(fc.array(fc.tuple(names, fc.integer({ min: -9, max: 9 })), { maxLength: 80 }), (members) => {
        const tree = Tree.create();
        try {
          const object = tree.root.add('o', 'object');
          const first: Record<string, number> = {};
          for (const [name, value] of members) {
            object.add(name, 'i8', value).release();
            if (!(name in first)) first[name] = value;
          }
          object.release();
          expect(JSON.parse(tree.exportJSON('o', 'plain'))).toEqual(first);
          // the writer's order is the children's, first of each name
          expect(Object.keys(JSON.parse(tree.exportJSON('o', 'plain')))).toEqual(Object.keys(first));
        } finally {
          tree.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});
