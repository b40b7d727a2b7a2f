// The CLI's typed JSON writer: what it writes, the codec reads back to the same plan,
// and its size estimate is the exact length of what JSON.stringify sends.
import { describe, expect, it } from 'vitest';
import { planText } from '../src/codec/import.js';
import type { PlanNode } from '../src/codec/plan.js';
import { toTypedJson, TypedJsonMeasure } from '../src/cli/typedJson.js';

const everyType = JSON.stringify({
  name: '',
  type: 'object',
  children: [
    { name: 'n', type: 'null', value: null },
    { name: 'b', type: 'bool', value: false },
    { name: 'i8', type: 'i8', value: -128 },
    { name: 'i64 low', type: 'i64', value: '-9223372036854775808' },
    { name: 'i64 edge', type: 'i64', value: 9007199254740992 },
    { name: 'u64', type: 'u64', value: '18446744073709551615' },
    { name: 'f32', type: 'f32', value: 0.1 },
    { name: 'nan', type: 'f64', value: 'NaN' },
    { name: 'inf', type: 'f32', value: 'Infinity' },
    { name: 'ninf', type: 'f64', value: '-Infinity' },
    { name: 'nzero', type: 'f64', value: '-0' },
    { name: 'bytes', type: 'bytes', value: 'AP8Qgw==' },
    { name: 'ünïcødé ✓', type: 'str', value: 'line\nbreak "quoted" \u0001 😀' },
    {
      name: 'list',
      type: 'list',
      children: [
        { name: '', type: 'i32', value: 1 },
        { name: '#7', type: 'list', children: [] },
        { name: '', type: 'object', children: [{ name: 'x', type: 'u8', value: 255 }] },
      ],
    },
  ],
});

describe('typed JSON from a plan', () => {
  it('reads back to the same plan, every type and special value included', () => {
    const plan = planText(everyType, 'typed');
    const written = JSON.stringify(toTypedJson(plan.root));
    expect(planText(written, 'typed')).toEqual(plan);
    expect(JSON.parse(written)).toEqual(JSON.parse(everyType));
  });

  it('measures every subtree at the exact UTF-8 length of its JSON', () => {
    const measure = new TypedJsonMeasure();
    const check = (node: PlanNode): number => {
      const nodes = 1 + (node.children ?? []).reduce((sum, child) => sum + check(child), 0);
      expect(measure.of(node)).toEqual({ bytes: Buffer.byteLength(JSON.stringify(toTypedJson(node))), nodes });
      return nodes;
    };
    const plan = planText(everyType, 'typed');
    expect(check(plan.root)).toBe(plan.size + 1);
  });

  it('writes plain and Nodix imports, whose list items are unnamed, as "" names', () => {
    const plan = planText('{"a": [1, 2.5, "x"], "b": 18446744073709551615}', 'plain');
    expect(toTypedJson(plan.root)).toEqual({
      name: '',
      type: 'object',
      children: [
        {
          name: 'a',
          type: 'list',
          children: [
            { name: '', type: 'i64', value: 1 },
            { name: '', type: 'f64', value: 2.5 },
            { name: '', type: 'str', value: 'x' },
          ],
        },
        { name: 'b', type: 'u64', value: '18446744073709551615' },
      ],
    });
  });
});
