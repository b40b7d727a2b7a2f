import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planText } from '../src/codec/import.js';
import { parseJsonText, type JsonNode } from '../src/codec/jsonText.js';
import type { PlanNode } from '../src/codec/plan.js';
import type { LeafValue, TypeName } from '../src/types.js';

/** The AST as JSON.parse would return it; numbers through Number(), as JSON.parse reads them. */
function toJs(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      // fromEntries keeps "__proto__" an own key and the last duplicate, as JSON.parse does.
      return Object.fromEntries(node.entries.map((entry) => [entry.key, toJs(entry.value)]));
    case 'array':
      return node.items.map(toJs);
    case 'number':
      return Number(node.text);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a JSON value holds an unpaired surrogate in a string or a key. */
function holdsLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(holdsLoneSurrogate);
  if (value !== null && typeof value === 'object') return Object.entries(value).some((entry) => entry.some(holdsLoneSurrogate));
  return false;
}

// Any UTF-16 code unit, so strings include controls, quotes, backslashes and lone surrogates.
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const anyString = fc.string({ unit: fc.oneof(anyUnit, fc.constantFrom('"', '\\', '/', '😀', '\u2028')) });

const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    anyString,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(anyString, tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('property: the parser agrees with JSON.parse', () => {
  it('parses JSON.stringify output, compact or indented, to the value JSON.parse gives', () => {
    fc.assert(
      fc.property(jsonValue, fc.constantFrom(undefined, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(toJs(parseJsonText(text, { loneSurrogates: 'keep' }))).toEqual(JSON.parse(text));
        // by default, a text holding an unpaired surrogate is refused, any other parsed the same
        if (holdsLoneSurrogate(value)) expect(() => parseJsonText(text)).toThrow(/unpaired surrogate/);
        else expect(toJs(parseJsonText(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('accepts exactly the texts JSON.parse accepts', () => {
    // Mutate valid JSON with one ASCII edit, so both accepting and rejecting cases occur.
    const edited = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom(...' \t\n\r{}[],:"\\-+.0123456789eEtrufalsn\f\u000bx'), fc.nat(2))
      .map(([text, at, char, edit]) => {
        const i = at % (text.length + 1);
        if (edit === 0) return text.slice(0, i) + char + text.slice(i); // insert
        if (edit === 1) return text.slice(0, i) + char + text.slice(i + 1); // replace
        return text.slice(0, i) + text.slice(i + 1); // delete
      });
    fc.assert(
      fc.property(edited, (text) => {
        let expected = true;
        try {
          JSON.parse(text);
        } catch {
          expected = false;
        }
        let actual = true;
        try {
          parseJsonText(text);
        } catch {
          actual = false;
        }
        expect(actual).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps every 64-bit integer exact, as i64 or (beyond i64) u64', () => {
    const limit = { i64Min: -(2n ** 63n), i64Max: 2n ** 63n - 1n, u64Max: 2n ** 64n - 1n };
    fc.assert(
      fc.property(fc.bigInt({ min: limit.i64Min, max: limit.u64Max }), (integer) => {
        const [node] = planText(`[${integer}]`, 'plain').root.children!;
        expect(node.type).toBe(integer > limit.i64Max ? 'u64' : 'i64');
        const exact = integer >= -(2n ** 53n) && integer <= 2n ** 53n;
        expect(node.value).toBe(exact ? Number(integer) : integer);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Writes a plan as Grove's typed JSON, the way the native exporter does (include/grove/json.h). */
function writeTyped(node: PlanNode): string {
  const head = `"name":${JSON.stringify(node.name ?? '')},"type":"${node.type}"`;
  if (node.children !== undefined) return `{${head},"children":[${node.children.map(writeTyped).join(',')}]}`;
  return `{${head},"value":${writeValue(node.type, node.value!)}}`;
}

function writeValue(type: TypeName, value: LeafValue): string {
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (typeof value === 'bigint') return `"${value}"`;
  if (typeof value === 'number' && (type === 'f32' || type === 'f64')) {
    if (Number.isNaN(value)) return '"NaN"';
    if (!Number.isFinite(value)) return value > 0 ? '"Infinity"' : '"-Infinity"';
    if (Object.is(value, -0)) return '"-0"';
  }
  return JSON.stringify(value);
}

const integerTypes: [TypeName, bigint, bigint][] = [
  ['i8', -(2n ** 7n), 2n ** 7n - 1n],
  ['i16', -(2n ** 15n), 2n ** 15n - 1n],
  ['i32', -(2n ** 31n), 2n ** 31n - 1n],
  ['i64', -(2n ** 63n), 2n ** 63n - 1n],
  ['u8', 0n, 2n ** 8n - 1n],
  ['u16', 0n, 2n ** 16n - 1n],
  ['u32', 0n, 2n ** 32n - 1n],
  ['u64', 0n, 2n ** 64n - 1n],
];

const name = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/[\x00-\x1f\x7f/]/.test(s) && s !== '.' && s !== '..');

const typedLeaf: fc.Arbitrary<Omit<PlanNode, 'name'>> = fc.oneof(
  fc.constant({ type: 'null' as const, value: null }),
  fc.boolean().map((value) => ({ type: 'bool' as const, value })),
  fc.constantFrom(...integerTypes).chain(([type, min, max]) =>
    fc.bigInt({ min, max }).map((big) => ({
      type,
      value: big >= -(2n ** 53n) && big <= 2n ** 53n ? Number(big) : big,
    })),
  ),
  fc.double().map((value) => ({ type: 'f64' as const, value })),
  fc.float().map((value) => ({ type: 'f32' as const, value })),
  fc.string().map((value) => ({ type: 'str' as const, value })),
  fc.uint8Array({ maxLength: 10 }).map((value) => ({ type: 'bytes' as const, value })),
);

const typedTree = fc.letrec<{ node: Omit<PlanNode, 'name'> }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    typedLeaf,
    fc.array(tie('node'), { maxLength: 4 }).map((children) => ({
      type: 'list' as const,
      children: children.map((child) => ({ ...child, name: undefined })),
    })),
    fc.array(fc.tuple(name, tie('node')), { maxLength: 4 }).map((members) => ({
      type: 'object' as const,
      children: members.map(([key, child]) => ({ ...child, name: key })),
    })),
  ),
})).node;

describe('property: typed JSON round trip', () => {
  it('reads back exactly what the exporter format writes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, typedTree), { maxLength: 5 }),
        (members) => {
          const root: PlanNode = {
            name: undefined,
            type: 'object',
            children: members.map(([key, node]) => ({ ...node, name: key })),
          };
          expect(planText(writeTyped(root), 'typed').root).toEqual(root);
        },
      ),
      { numRuns: 300 },
    );
  });
});
