import { describe, expect, it } from 'vitest';
import { JsonTextError, lineColumn, parseJsonText, parseJsonValueAt, type JsonNode } from '../src/codec/jsonText.js';

/** The parse error for `text`, checked to be a JsonTextError. */
function errorOf(text: string, options = {}): JsonTextError {
  try {
    parseJsonText(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonTextError);
    expect(error).toBeInstanceOf(SyntaxError);
    return error as JsonTextError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

function stringValue(text: string, options = {}): string {
  const node = parseJsonText(text, options);
  if (node.kind !== 'string') throw new Error('not a string');
  return node.value;
}

function numberOf(text: string): { text: string; integer: boolean } {
  const node = parseJsonText(text);
  if (node.kind !== 'number') throw new Error('not a number');
  return { text: node.text, integer: node.integer };
}

describe('parseJsonText: structure', () => {
  it('builds the AST with offsets', () => {
    expect(parseJsonText('{"a": [1, "x", true, false, null], "b": {}}')).toEqual({
      kind: 'object',
      offset: 0,
      entries: [
        {
          key: 'a',
          offset: 1,
          value: {
            kind: 'array',
            offset: 6,
            items: [
              { kind: 'number', text: '1', integer: true, offset: 7 },
              { kind: 'string', value: 'x', offset: 10 },
              { kind: 'bool', value: true, offset: 15 },
              { kind: 'bool', value: false, offset: 21 },
              { kind: 'null', offset: 28 },
            ],
          },
        },
        { key: 'b', offset: 35, value: { kind: 'object', entries: [], offset: 40 } },
      ],
    });
  });

  it('allows scalars at the top level', () => {
    expect(parseJsonText('42')).toEqual({ kind: 'number', text: '42', integer: true, offset: 0 });
    expect(parseJsonText(' "s" ')).toEqual({ kind: 'string', value: 's', offset: 1 });
    expect(parseJsonText('true').kind).toBe('bool');
    expect(parseJsonText('null').kind).toBe('null');
  });

  it('keeps duplicate keys, in order', () => {
    const node = parseJsonText('{"k": 1, "j": 2, "k": 3}');
    if (node.kind !== 'object') throw new Error();
    expect(node.entries.map((e) => [e.key, (e.value as { text: string }).text])).toEqual([
      ['k', '1'],
      ['j', '2'],
      ['k', '3'],
    ]);
  });

  it('accepts the four JSON whitespace characters everywhere between tokens', () => {
    expect(parseJsonText(' \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \n"a" \n: \n2 \n} \n] \t\r\n')).toMatchObject({
      kind: 'array',
      items: [{ text: '1' }, { kind: 'object', entries: [{ key: 'a' }] }],
    });
  });

  it('ignores a leading byte order mark', () => {
    expect(parseJsonText('\uFEFF{}')).toEqual({ kind: 'object', entries: [], offset: 1 });
  });

  it('parses deep nesting without recursion', () => {
    const depth = 100_000;
    let node: JsonNode = parseJsonText('['.repeat(depth) + ']'.repeat(depth), { maxDepth: depth });
    let levels = 1;
    while (node.kind === 'array' && node.items.length > 0) {
      node = node.items[0];
      levels++;
    }
    expect(levels).toBe(depth);
  });

  it('parses one value at an offset and reports where it ends', () => {
    expect(parseJsonValueAt('xx [1] yy', 2)).toEqual({
      value: { kind: 'array', items: [{ kind: 'number', text: '1', integer: true, offset: 4 }], offset: 3 },
      end: 6,
    });
  });
});

describe('parseJsonText: strings', () => {
  it('decodes every escape', () => {
    expect(stringValue('"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u4E2D"')).toBe('" \\ / \b \f \n \r \t é 中');
  });

  it('joins a surrogate pair written as two escapes', () => {
    expect(stringValue('"\\ud83d\\ude00"')).toBe('😀');
    expect(stringValue('"a\\uD83D\\uDE00b"')).toBe('a😀b');
  });

  it('refuses unpaired surrogates, escaped or raw, naming where they are', () => {
    expect(errorOf('"\\ud800"').message).toBe('unpaired surrogate U+D800 in a string: text must be well-formed Unicode at line 1, column 2');
    expect(errorOf('"\\udc00x"').message).toMatch(/^unpaired surrogate U\+DC00/);
    expect(errorOf('"\\ude00\\ud83d"').message).toMatch(/^unpaired surrogate U\+DE00/);
    expect(errorOf('"\\ud800\\u0041"').message).toMatch(/^unpaired surrogate U\+D800/);
    expect(errorOf('{"a": "x\udc00"}').message).toBe('unpaired surrogate U+DC00 in a string: text must be well-formed Unicode at line 1, column 9');
    expect(errorOf('["\ud800"]').message).toMatch(/^unpaired surrogate U\+D800/);
    expect(stringValue('"\\ud83d\\ude00 \ud83d\ude00"')).toBe('😀 😀');
  });

  it('keeps unpaired surrogates as JSON.parse does when asked to', () => {
    const keep = { loneSurrogates: 'keep' };
    expect(stringValue('"\\ud800"', keep)).toBe('\ud800');
    expect(stringValue('"\\udc00x"', keep)).toBe('\udc00x');
    expect(stringValue('"\\ude00\\ud83d"', keep)).toBe('\ude00\ud83d');
    expect(stringValue('"\\ud800\\u0041"', keep)).toBe('\ud800A');
    expect(stringValue('"\\ud800\\ud83d\\ude00"', keep)).toBe('\ud800😀');
    expect(stringValue('"x\udc00"', keep)).toBe('x\udc00');
  });

  it('keeps raw non-ASCII text and DEL', () => {
    expect(stringValue('"héllo 中文 😀 \u007f"')).toBe('héllo 中文 😀 \u007f');
  });

  it('rejects raw control characters', () => {
    const error = errorOf('["ok",\n "a\tb"]');
    expect(error.message).toBe('control character U+0009 must be escaped in a string at line 2, column 4');
    expect([error.offset, error.line, error.column]).toEqual([10, 2, 4]);
    expect(errorOf('"\u0000"').message).toMatch(/^control character U\+0000/);
    expect(errorOf('"a\nb"').message).toMatch(/^control character U\+000A/);
  });

  it('rejects bad escapes', () => {
    expect(errorOf('"ab\\x"').message).toBe("invalid escape '\\x' in string at line 1, column 4");
    expect(errorOf('"\\\'"').message).toBe("invalid escape '\\'' in string at line 1, column 2");
    expect(errorOf('"\\u12G4"').message).toBe("expected 4 hex digits after '\\u' at line 1, column 2");
    expect(errorOf('"\\u12"').message).toBe("expected 4 hex digits after '\\u' at line 1, column 2");
  });

  it('reports an unterminated string where it starts', () => {
    expect(errorOf('{"a": "abc').message).toBe('unterminated string at line 1, column 7');
    expect(errorOf('"abc\\').message).toBe('unterminated string at line 1, column 1');
  });
});

describe('parseJsonText: numbers', () => {
  it('keeps the literal text exactly', () => {
    expect(numberOf('18446744073709551615')).toEqual({ text: '18446744073709551615', integer: true });
    expect(numberOf('-9223372036854775808')).toEqual({ text: '-9223372036854775808', integer: true });
    expect(numberOf('123456789012345678901234567890')).toEqual({ text: '123456789012345678901234567890', integer: true });
    expect(numberOf('0.30000000000000000001')).toEqual({ text: '0.30000000000000000001', integer: false });
  });

  it('marks literals with a fraction or exponent as not integers', () => {
    expect(numberOf('0')).toEqual({ text: '0', integer: true });
    expect(numberOf('-0')).toEqual({ text: '-0', integer: true });
    expect(numberOf('1.0')).toEqual({ text: '1.0', integer: false });
    expect(numberOf('1e5')).toEqual({ text: '1e5', integer: false });
    expect(numberOf('-1.5E+2')).toEqual({ text: '-1.5E+2', integer: false });
    expect(numberOf('2e-3')).toEqual({ text: '2e-3', integer: false });
  });

  it.each([
    ['01', 'leading zeros are not allowed in numbers at line 1, column 1'],
    ['[-007]', 'leading zeros are not allowed in numbers at line 1, column 2'],
    ['00', 'leading zeros are not allowed in numbers at line 1, column 1'],
    ['1.', "expected a digit after '.' but found the end of the input at line 1, column 3"],
    ['1.e5', "expected a digit after '.' but found 'e' at line 1, column 3"],
    ['.5', "expected a value but found '.' at line 1, column 1"],
    ['-', "expected a digit after '-' but found the end of the input at line 1, column 2"],
    ['-a', "expected a digit after '-' but found 'a' at line 1, column 2"],
    ['+1', "expected a value but found '+' at line 1, column 1"],
    ['1e', 'expected a digit in the exponent but found the end of the input at line 1, column 3'],
    ['1e+', 'expected a digit in the exponent but found the end of the input at line 1, column 4'],
    ['NaN', "expected a value but found 'N' at line 1, column 1"],
    ['-Infinity', "expected a digit after '-' but found 'I' at line 1, column 2"],
    ['0x1F', 'hexadecimal numbers are allowed only in Nodix definitions at line 1, column 1'],
  ])('rejects %s', (text, message) => {
    expect(errorOf(text).message).toBe(message);
  });
});

describe('parseJsonText: syntax errors name what was expected and where', () => {
  it.each([
    ['', 'expected a value but found the end of the input at line 1, column 1'],
    ['   ', 'expected a value but found the end of the input at line 1, column 4'],
    ['{"a" 1}', "expected ':' after key but found '1' at line 1, column 6"],
    ['{\n  "name": "x",\n  "port" = 80\n}', "expected ':' after key but found '=' at line 3, column 10"],
    ['{a: 1}', "expected a string key but found 'a' at line 1, column 2"],
    ["{'a': 1}", "expected a string key but found ''' at line 1, column 2"],
    ['[1,]', "trailing comma before ']' at line 1, column 3"],
    ['{"a": 1,\n}', "trailing comma before '}' at line 1, column 8"],
    ['[,1]', "expected a value but found ',' at line 1, column 2"],
    ['[1 2]', "expected ',' or ']' after an array item but found '2' at line 1, column 4"],
    ['{"a": 1 "b": 2}', "expected ',' or '}' after an object member but found '\"' at line 1, column 9"],
    ['[1, 2', "expected ',' or ']' after an array item but found the end of the input at line 1, column 6"],
    ['{"a": }', "expected a value but found '}' at line 1, column 7"],
    ['{"a": 1}}', "unexpected '}' after the JSON value at line 1, column 9"],
    ['1 2', "unexpected '2' after the JSON value at line 1, column 3"],
    ['tru', "invalid literal: expected 'true' at line 1, column 1"],
    ['nul', "invalid literal: expected 'null' at line 1, column 1"],
    ['[True]', "expected a value but found 'T' at line 1, column 2"],
    ['[undefined]', "expected a value but found 'u' at line 1, column 2"],
    ['[1] // note', "unexpected '/' after the JSON value at line 1, column 5"],
    ['[1,\f2]', "expected a value but found U+000C at line 1, column 4"],
    ['[1,\u00a02]', "expected a value but found '\u00a0' at line 1, column 4"],
    ['[1,\u000b2]', 'expected a value but found U+000B at line 1, column 4'],
    ['{(NODE_GFX_INT)"a": 1}', "expected a string key but found '(' at line 1, column 2"],
    ['\uFEFF\uFEFF1', "expected a value but found '\uFEFF' at line 1, column 2"],
  ])('%j', (text, message) => {
    expect(errorOf(text).message).toBe(message);
  });

  it('carries offset, line and column', () => {
    const error = errorOf('{\n  "a": [1,\n    2,,\n  ]\n}');
    expect(error.name).toBe('JsonTextError');
    expect([error.offset, error.line, error.column]).toEqual([19, 3, 7]);
  });

  it('counts columns from the start of each line', () => {
    expect(lineColumn('ab\ncd\r\nef', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd\r\nef', 3)).toEqual({ line: 2, column: 1 });
    expect(lineColumn('ab\ncd\r\nef', 8)).toEqual({ line: 3, column: 2 });
  });
});

describe('parseJsonText: depth limit', () => {
  it('accepts nesting up to 512 by default and names the first level past it', () => {
    expect(() => parseJsonText('['.repeat(512) + ']'.repeat(512))).not.toThrow();
    const error = errorOf('['.repeat(513) + ']'.repeat(513));
    expect(error.message).toBe('nesting is deeper than the limit of 512 levels at line 1, column 513');
  });

  it('counts objects and arrays alike, and takes a custom limit', () => {
    expect(() => parseJsonText('{"a":[{"b":[]}]}', { maxDepth: 4 })).not.toThrow();
    expect(errorOf('{"a":[{"b":[]}]}', { maxDepth: 3 }).message).toBe(
      'nesting is deeper than the limit of 3 levels at line 1, column 12',
    );
  });

  it('fails cleanly far past the limit, without a stack overflow', () => {
    expect(errorOf('['.repeat(1_000_000)).message).toMatch(/^nesting is deeper than the limit of 512 levels/);
  });
});

describe('parseJsonText: Nodix mode', () => {
  const nodix = { nodix: true };

  it('reads a (TYPE) annotation before a key, with its position', () => {
    const node = parseJsonText('{ "a":1, ( NODE_GFX_INT )"version" : 60018 }', nodix);
    expect(node).toMatchObject({
      kind: 'object',
      entries: [
        { key: 'a', annotation: undefined, offset: 2 },
        { key: 'version', annotation: 'NODE_GFX_INT', offset: 9, value: { text: '60018' } },
      ],
    });
  });

  it('reads hex integers', () => {
    expect(parseJsonText('[0xD9BEFECA, 0X1b, 0x0]', nodix)).toMatchObject({
      items: [
        { kind: 'number', text: '0xD9BEFECA', integer: true },
        { text: '0X1b', integer: true },
        { text: '0x0', integer: true },
      ],
    });
  });

  it.each([
    ['{(1A)"a":1}', "expected a type name after '(' but found '1' at line 1, column 3"],
    ['{(NODE_GFX_INT "a":1}', "expected ')' after the type name but found '\"' at line 1, column 16"],
    ['{(NODE_GFX_INT) a:1}', "expected a string key after the type annotation but found 'a' at line 1, column 17"],
    ['[(NODE_GFX_INT)1]', "expected a value but found '(' at line 1, column 2"],
    ['[0x]', "expected a hex digit after '0x' but found ']' at line 1, column 4"],
    ['[-0x10]', 'a hexadecimal number cannot be negative at line 1, column 2'],
    ['[0x1.5]', "expected ',' or ']' after an array item but found '.' at line 1, column 5"],
  ])('rejects %j', (text, message) => {
    expect(errorOf(text, nodix).message).toBe(message);
  });
});
