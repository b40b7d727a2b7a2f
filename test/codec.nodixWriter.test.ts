// The Nodix writer: any tree Nodix can express is written as a script that the Nodix import
// reads back to the same nodes; what it cannot express is refused, naming the node.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planText } from '../src/codec/import.js';
import { NodixWriter } from '../src/codec/nodixWriter.js';
import { applicationTypeId, NODIX_RECORDS } from '../src/codec/nodixTypes.js';
import type { PlanNode } from '../src/codec/plan.js';
import type { LeafValue } from '../src/types.js';

/** Writes a plan's root (an object) as Nodix text. */
function write(root: PlanNode, path = 'x'): string {
  const writer = new NodixWriter(path);
  const walk = (node: PlanNode) => {
    if (node.children === undefined) return writer.leaf(node.name, node.type, node.value!);
    writer.open(node.name, node.type);
    node.children.forEach(walk);
    writer.close();
  };
  walk(root);
  return writer.take();
}

const record = (name: string) => {
  const found = NODIX_RECORDS.find((r) => r.name === name)!;
  return { type: applicationTypeId(found.id), json: found.json };
};

const names = fc.stringMatching(/^[A-Za-z_][\w]{0,6}$/);
const keys = fc.string({ minLength: 1, maxLength: 5 }).filter((k) => !k.includes('/') && k !== '.' && k !== '..' && !/[\x00-\x1f\x7f]/.test(k));

/** Leaves with the type Nodix gives their value unannotated: the only ones an array item can be. */
const plainLeaves: fc.Arbitrary<[string, LeafValue]> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n): [string, LeafValue] => ['u64', n <= 2n ** 53n ? Number(n) : n]),
  fc.integer({ min: -(2 ** 31), max: -1 }).map((n): [string, LeafValue] => ['i64', n]),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((x): [string, LeafValue] => ['f32', x]),
  fc.string({ maxLength: 8 }).map((s): [string, LeafValue] => ['str', s]),
  fc.boolean().map((b): [string, LeafValue] => ['bool', b]),
  fc.constant<[string, LeafValue]>(['null', null]),
);
/** Leaves that need their annotation. */
const typedLeaves: fc.Arbitrary<[string, LeafValue]> = fc.oneof(
  plainLeaves,
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((n): [string, LeafValue] => ['u32', n]),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n): [string, LeafValue] => ['i32', n]),
  fc.integer({ min: 0, max: 9 }).map((n): [string, LeafValue] => ['i64', n]),
  fc.integer({ min: 0, max: 65535 }).map((n): [string, LeafValue] => ['u16', n]),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x): [string, LeafValue] => ['f64', x]),
  fc.uint8Array({ maxLength: 6 }).map((b): [string, LeafValue] => ['bytes', b]),
  fc.tuple(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.float({ noNaN: true, noDefaultInfinity: true }), fc.float({ noNaN: true, noDefaultInfinity: true }))
    .map((v): [string, LeafValue] => ['vec3', v]),
  fc.constantFrom<[string, LeafValue]>(
    ['ipv4', '10.0.0.1'], ['hash', 'ab'.repeat(32)], ['address', 'B8mPBEg2XbYSUwEh5a7yrfehvMNijpAm1P'], ['address', ''],
    ['vstr', 'v s'], ['vint', 253],
  ),
);

const { member, item } = fc.letrec<{ member: PlanNode; item: PlanNode }>((tie) => ({
  // an object member: any type, annotated where it needs to be
  member: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(keys, typedLeaves).map(([name, [type, value]]) => ({ name, type, value }) as PlanNode),
    fc.tuple(keys, fc.constantFrom('object', 'NODE_MODULE_DEF', 'NODE_BITCORE_NODE'), fc.array(tie('member'), { maxLength: 4 }))
      .map(([name, kind, children]) => ({ name, type: kind === 'object' ? 'object' : record(kind).type, children }) as PlanNode),
    fc.tuple(keys, fc.constantFrom('list', 'NODE_BITCORE_TX_LIST'), fc.array(tie('item'), { maxLength: 4 }))
      .map(([name, kind, children]) => ({ name, type: kind === 'list' ? 'list' : record(kind).type, children }) as PlanNode),
  ),
  // an array item: no annotation, so only what Nodix makes of its value alone
  item: fc.oneof(
    { depthSize: 'small' },
    plainLeaves.map(([type, value]) => ({ name: undefined, type, value }) as PlanNode),
    fc.array(tie('member'), { maxLength: 3 }).map((children) => ({ name: undefined, type: 'object', children }) as PlanNode),
    fc.array(tie('item'), { maxLength: 3 }).map((children) => ({ name: undefined, type: 'list', children }) as PlanNode),
  ),
}));

const definitions = fc.array(
  fc.tuple(names, member).map(([name, node]) => ({ ...node, name })),
  { maxLength: 6 },
);

describe('Nodix export', () => {
  it('writes what the Nodix import reads back to the same nodes', () => {
    fc.assert(
      fc.property(definitions, (children) => {
        const root: PlanNode = { name: undefined, type: 'object', children };
        const text = write(root);
        expect(planText(text, 'nodix').root.children, text).toEqual(children);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps the sign of a vector\'s -0 (found by the property above: JSON.stringify writes it as 0)', () => {
    const children: PlanNode[] = [{ name: '_', type: 'vec3', value: [0, 0, -0] }];
    const text = write({ name: undefined, type: 'object', children });
    expect(text).toContain('[0,0,-0]');
    expect(planText(text, 'nodix').root.children).toEqual(children);
  });

  it('writes numbers and strings bare after the "=", the rest between backticks', () => {
    const text = write({
      name: undefined,
      type: 'object',
      children: [
        { name: 'one', type: 'u16', value: 1 },
        { name: 'name', type: 'vstr', value: 'x' },
        { name: 'on', type: 'bool', value: true },
        { name: 'f', type: 'f32', value: 2 },
        { name: 'mods', type: record('NODE_MODULE_DEF').type, children: [{ name: 'file', type: 'str', value: 'm.tpo' }] },
      ],
    });
    expect(text).toBe(
      'let NODE_GFX_SHORT one = 1\nlet NODE_BITCORE_VSTR name = "x"\nlet NODE_GFX_BOOL on = `true`\n' +
        'let NODE_GFX_FLOAT f = 2.0\nlet NODE_MODULE_DEF mods = `{"file":"m.tpo"}`\n',
    );
  });

  it.each([
    [{ name: 'a', type: 'u8', value: 1 }, 'x/a is a u8, which has no Nodix type: use --format typed'],
    [{ name: 'a', type: 'f64', value: NaN }, 'x/a is NaN, which Nodix cannot write: use --format typed'],
    [{ name: 'a b', type: 'u32', value: 1 }, `x/a b: a Nodix definition's name is letters, digits and "_", not "a b"`],
    [{ name: 'l', type: 'list', children: [{ name: undefined, type: 'u32', value: 1 }] }, 'x/l/(item) is a u32, and a Nodix array cannot say the type of its items'],
    [{ name: 'c', type: '0x10000001', children: [] }, 'x/c is a type 0x10000001, which has no Nodix type'],
  ] as [PlanNode, string][])('refuses %j', (node, message) => {
    expect(() => write({ name: undefined, type: 'object', children: [node] })).toThrow(message);
  });

  it('writes only an object, whose children are the definitions', () => {
    expect(() => write({ name: undefined, type: 'list', children: [] }, 'l')).toThrow(
      'a Nodix script holds definitions, so only an object exports to it, and l is a list',
    );
  });
});
