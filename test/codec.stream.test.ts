// Documents read in pieces (as the CLI streams files) read exactly as the whole text does:
// the same nodes, the same errors at the same places, wherever the pieces are cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ImportFormat, planText, readDocument } from '../src/codec/import.js';
import { locateIn } from '../src/codec/jsonText.js';
import { PlanBuilder, type Plan } from '../src/codec/plan.js';

/** Reads `text` cut at `cuts` (offsets, in any order). */
function planInPieces(text: string, format: ImportFormat, cuts: number[]): Plan {
  const builder = new PlanBuilder();
  const reader = readDocument(format, builder, { locate: locateIn(text) });
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    reader.write(text.slice(at, cut));
    at = cut;
  }
  reader.write(text.slice(at));
  reader.end();
  return builder.plan();
}

function outcome(read: () => Plan): { plan: Plan } | { error: string } {
  try {
    return { plan: read() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

const cutsOf = (text: string) => fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 12 });

function samePieceByPiece(format: ImportFormat, texts: fc.Arbitrary<string>): void {
  fc.assert(
    fc.property(
      texts.chain((text) => fc.tuple(fc.constant(text), cutsOf(text))),
      ([text, cuts]) => {
        expect(outcome(() => planInPieces(text, format, cuts))).toEqual(outcome(() => planText(text, format)));
      },
    ),
    { numRuns: 300 },
  );
}

/** JSON texts with escapes, surrogates, big and small numbers, and whitespace between tokens. */
const jsonTexts = fc
  .jsonValue({ maxDepth: 4 })
  .chain((value) =>
    fc.constantFrom(
      JSON.stringify(value),
      JSON.stringify(value, null, 2),
      JSON.stringify(value).replaceAll('"', ' "'),
      JSON.stringify(value).replace(/\d+/g, (d) => `${d}${d}${d}`),
    ),
  );

const tricky = fc.constantFrom(
  '{"a": "\\u00e9\\ud83d\\ude00\\n\\"", "b": [1.5e10, -0, 18446744073709551615, true, false, null]}',
  '["\\ud83d", "\\ud83d\\u0041", "x\\\\y"]',
  '{"a": 1, "a": 2}',
  '\uFEFF{"bom": 1}',
  '{"a": [1, 2,]}',
  '{"a": "unterminated',
  '{"a": 01}',
  '[tru]',
  '[1, 2',
  '{"a": 1 "b": 2}',
  '{"": 1}',
  '{"n": 123456789012345678901234567890}',
);

describe('reading in pieces', () => {
  it('plain JSON reads the same wherever it is cut', () => {
    samePieceByPiece('plain', fc.oneof(jsonTexts, tricky));
  });

  it('typed JSON reads the same wherever it is cut', () => {
    const leaf = (type: string, value: string, name = 'v') => `{"name": "${name}", "type": "${type}", "value": ${value}}`;
    const typed = fc.constantFrom(
      `{"name": "", "type": "object", "children": [${[
        leaf('u64', '"18446744073709551615"'),
        leaf('f32', '"NaN"', 'f'),
        leaf('vec3', '[1, 0.5, -2]', 'p'),
        leaf('bytes', '"AAEC/w=="', 'b'),
        `{"name": "l", "type": "list", "children": [${leaf('str', '"x\\ty"', '')}, ${leaf('null', 'null', '')}]}`,
      ].join(', ')}]}`,
      `{"type": "u8", "value": 7, "name": "top"}`,
      `{"name": "", "type": "object", "children": [${leaf('u8', '300')}]}`,
      `{"name": "", "type": "object", "children": [{"name": "x", "children": [], "type": "object"}]}`,
      `{"name": "", "type": "object", "children": [{"name": "x", "type": "object"}]}`,
    );
    samePieceByPiece('typed', typed);
  });

  it('Nodix scripts read the same wherever they are cut', () => {
    const nodix = fc.constantFrom(
      'let NODE_GFX_OBJECT configuration = `\r\n{\r\n\t"magic":0xD9BEFECA, (NODE_MODULE_DEF) "m" : {"file":"x"}\r\n}`\r\n' +
        'let NODE_GFX_INT one = 1\r\nlet NODE_BITCORE_VSTR name = "x y"\r\n' +
        'handler on_ping(node,payload) = ` code {"not": json} `\r\nlet NODE_JSON_ARRAY l = `[1, -2, 3.5]`',
      '{ "user_agent":"nodix", (NODE_GFX_INT)"version":60018, (NODE_NET_IP)"addr":"127.0.0.1" }',
      'let NODE_GFX_OBJECT c = `{"a" 1}`',
      'let NODE_GFX_OBJECT c = `{}',
      'page index = `never closed',
      'let NODE_RT_VEC3 v = `[1, 2]`',
    );
    samePieceByPiece('nodix', nodix);
  });
});
