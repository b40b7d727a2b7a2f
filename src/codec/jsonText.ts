// A JSON text parser that keeps what JSON.parse throws away: the exact text of every
// number (so 64-bit integers survive), duplicate keys in order, and the offset of every
// value (so later stages can name a line and column). Nodix mode adds the `(TYPE)`
// annotation before a key and `0x` hex integers. It is iterative, so nesting is bounded
// by `maxDepth` and never by the call stack.

export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonBool | JsonNull;

export interface JsonObject {
  kind: 'object';
  entries: JsonEntry[];
  offset: number;
}

/** One object member; `offset` is where it starts (its annotation, else its key). */
export interface JsonEntry {
  key: string;
  annotation?: string;
  value: JsonNode;
  offset: number;
}

export interface JsonArray {
  kind: 'array';
  items: JsonNode[];
  offset: number;
}

export interface JsonString {
  kind: 'string';
  value: string;
  offset: number;
}

/** `text` is the literal as written; `integer` means it has no fraction and no exponent. */
export interface JsonNumber {
  kind: 'number';
  text: string;
  integer: boolean;
  offset: number;
}

export interface JsonBool {
  kind: 'bool';
  value: boolean;
  offset: number;
}

export interface JsonNull {
  kind: 'null';
  offset: number;
}

export interface JsonTextOptions {
  /** Accept Nodix definition syntax: `(TYPE)` before a key, and `0x` hex integers. */
  nodix?: boolean;
  /** The deepest nesting of objects and arrays accepted; default 512. */
  maxDepth?: number;
  /**
   * An unpaired surrogate (escaped, or raw in the text) is refused by default: it has no
   * UTF-8 form, and writing U+FFFD in its place would change the string silently. 'keep'
   * leaves it in the string, as JSON.parse does, for a caller that refuses it itself.
   */
  loneSurrogates?: 'refuse' | 'keep';
}

const DEFAULT_MAX_DEPTH = 512;

export class JsonTextError extends SyntaxError {
  readonly offset: number;
  readonly line: number;
  readonly column: number;

  constructor(problem: string, text: string, offset: number) {
    const { line, column } = lineColumn(text, offset);
    super(`${problem} at line ${line}, column ${column}`);
    this.name = 'JsonTextError';
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/** The text nests objects and arrays deeper than JsonTextOptions.maxDepth allows. */
export class JsonDepthError extends JsonTextError {}

/** 1-based line and column (in UTF-16 code units) of an offset; only errors need it. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Parses a whole JSON text. A leading byte order mark is ignored (RFC 8259 allows it). */
export function parseJsonText(text: string, options: JsonTextOptions = {}): JsonNode {
  const parser = new Parser(text, text.charCodeAt(0) === 0xfeff ? 1 : 0, options);
  const value = parser.parseValue();
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail(`unexpected ${parser.found()} after the JSON value`);
  return value;
}

/** Parses one JSON value starting at `offset`; `end` is the offset just after it. */
export function parseJsonValueAt(
  text: string,
  offset: number,
  options: JsonTextOptions = {},
): { value: JsonNode; end: number } {
  const parser = new Parser(text, offset, options);
  const value = parser.parseValue();
  return { value, end: parser.pos };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function hexDigit(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function isNameStart(c: number): boolean {
  const lower = c | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || c === 0x5f;
}

class Parser {
  pos: number;
  private readonly nodix: boolean;
  private readonly maxDepth: number;
  private readonly keepLoneSurrogates: boolean;
  // The member whose value comes next, set by startEntry (fields, not a returned object:
  // this runs once per member of a possibly huge document).
  private key = '';
  private annotation: string | undefined;
  private entryOffset = 0;

  constructor(
    private readonly text: string,
    start: number,
    options: JsonTextOptions,
  ) {
    this.pos = start;
    this.nodix = options.nodix ?? false;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.keepLoneSurrogates = options.loneSurrogates === 'keep';
  }

  fail(problem: string, offset = this.pos): never {
    throw new JsonTextError(problem, this.text, offset);
  }

  /** Names the character at the current position for an error message. */
  found(): string {
    if (this.pos >= this.text.length) return 'the end of the input';
    const code = this.text.codePointAt(this.pos)!;
    if (code < 0x20 || code === 0x7f) return unitName(code);
    return `'${String.fromCodePoint(code)}'`;
  }

  private expected(what: string): never {
    this.fail(`expected ${what} but found ${this.found()}`);
  }

  skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
    this.pos = pos;
  }

  /**
   * Parses one value. Open containers wait on an explicit stack; a container is attached
   * to its parent as soon as it opens and filled in place.
   */
  parseValue(): JsonNode {
    const text = this.text;
    const open: (JsonObject | JsonArray)[] = [];
    let container: JsonObject | JsonArray | undefined; // the innermost open one
    let root: JsonNode | undefined;
    for (;;) {
      this.skipWhitespace();
      const offset = this.pos;
      const c = text.charCodeAt(offset);
      let value: JsonNode;
      let opened: JsonObject | JsonArray | undefined;
      if (c === OPEN_BRACE) {
        this.pos++;
        value = opened = { kind: 'object', entries: [], offset };
      } else if (c === OPEN_BRACKET) {
        this.pos++;
        value = opened = { kind: 'array', items: [], offset };
      } else {
        value = this.readScalar(c, offset);
      }
      if (container === undefined) root = value;
      else if (container.kind === 'array') container.items.push(value);
      else container.entries.push({ key: this.key, annotation: this.annotation, value, offset: this.entryOffset });

      if (opened !== undefined) {
        if (open.length === this.maxDepth) {
          throw new JsonDepthError(`nesting is deeper than the limit of ${this.maxDepth} levels`, text, offset);
        }
        open.push(opened);
        container = opened;
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) !== (c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
          if (c === OPEN_BRACE) this.startEntry();
          continue;
        }
        this.pos++;
        open.pop();
        container = open[open.length - 1];
      }

      // The value is complete: step over ',' to the next one, or close containers.
      for (;;) {
        if (container === undefined) return root!;
        this.skipWhitespace();
        const isObject = container.kind === 'object';
        const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
        const next = text.charCodeAt(this.pos);
        if (next === close) {
          this.pos++;
          open.pop();
          container = open[open.length - 1];
          continue;
        }
        if (next !== COMMA) {
          this.expected(isObject ? "',' or '}' after an object member" : "',' or ']' after an array item");
        }
        const comma = this.pos++;
        this.skipWhitespace();
        if (text.charCodeAt(this.pos) === close) this.fail(`trailing comma before '${isObject ? '}' : ']'}'`, comma);
        if (isObject) this.startEntry();
        break;
      }
    }
  }

  /** Reads a string, number, true, false or null that starts with `c`, at `offset`. */
  private readScalar(c: number, offset: number): JsonNode {
    switch (c) {
      case QUOTE:
        return { kind: 'string', value: this.readString(), offset };
      case 0x74: // t
        this.readLiteral('true');
        return { kind: 'bool', value: true, offset };
      case 0x66: // f
        this.readLiteral('false');
        return { kind: 'bool', value: false, offset };
      case 0x6e: // n
        this.readLiteral('null');
        return { kind: 'null', offset };
      default:
        if (c === MINUS || isDigit(c)) return this.readNumber();
        return this.expected('a value');
    }
  }

  private readLiteral(word: string): void {
    if (!this.text.startsWith(word, this.pos)) this.fail(`invalid literal: expected '${word}'`);
    this.pos += word.length;
  }

  /** Reads `[(TYPE)] "key" :` and leaves the position at the member's value. */
  private startEntry(): void {
    const text = this.text;
    this.entryOffset = this.pos;
    this.annotation = undefined;
    if (this.nodix && text.charCodeAt(this.pos) === OPEN_PAREN) {
      this.pos++;
      this.skipWhitespace();
      const start = this.pos;
      if (!isNameStart(text.charCodeAt(this.pos))) this.expected("a type name after '('");
      while (isNameStart(text.charCodeAt(this.pos)) || isDigit(text.charCodeAt(this.pos))) this.pos++;
      this.annotation = text.slice(start, this.pos);
      this.skipWhitespace();
      if (text.charCodeAt(this.pos) !== CLOSE_PAREN) this.expected("')' after the type name");
      this.pos++;
      this.skipWhitespace();
    }
    if (text.charCodeAt(this.pos) !== QUOTE) {
      this.expected(this.annotation === undefined ? 'a string key' : 'a string key after the type annotation');
    }
    this.key = this.readString();
    this.skipWhitespace();
    if (text.charCodeAt(this.pos) !== COLON) this.expected("':' after key");
    this.pos++;
  }

  /** Reads a string literal; unescaped runs are sliced, never copied a character at a time. */
  private readString(): string {
    const text = this.text;
    const length = text.length;
    const start = this.pos;
    let pos = start + 1;
    let runStart = pos;
    let out = '';
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        this.pos = pos + 1;
        return out + text.slice(runStart, pos);
      }
      if (c === BACKSLASH) {
        if (pos + 1 === length) break;
        out += text.slice(runStart, pos);
        this.pos = pos;
        out += this.readEscape();
        pos = runStart = this.pos;
      } else if (c < 0x20) {
        this.fail(`control character ${unitName(c)} must be escaped in a string`, pos);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const paired = c <= 0xdbff && isLowSurrogate(text.charCodeAt(pos + 1));
        if (!paired && !this.keepLoneSurrogates) this.loneSurrogate(c, pos);
        pos += paired ? 2 : 1;
      } else {
        pos++;
      }
    }
    return this.fail('unterminated string', start);
  }

  private loneSurrogate(unit: number, offset: number): never {
    this.fail(`unpaired surrogate ${unitName(unit)} in a string: text must be well-formed Unicode`, offset);
  }

  /**
   * Decodes the escape at the current position. A surrogate pair written as two `\u`
   * escapes becomes one character; an unpaired surrogate is refused (or kept: see
   * JsonTextOptions.loneSurrogates).
   */
  private readEscape(): string {
    const text = this.text;
    const at = this.pos;
    this.pos = at + 2;
    switch (text.charCodeAt(at + 1)) {
      case QUOTE: return '"';
      case BACKSLASH: return '\\';
      case 0x2f: return '/';
      case 0x62: return '\b';
      case 0x66: return '\f';
      case 0x6e: return '\n';
      case 0x72: return '\r';
      case 0x74: return '\t';
      case 0x75: { // u
        const unit = this.readHex4(at + 2);
        this.pos = at + 6;
        if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
        if (unit <= 0xdbff && text.charCodeAt(at + 6) === BACKSLASH && text.charCodeAt(at + 7) === 0x75 /* u */) {
          const low = hexValue(text, at + 8);
          if (isLowSurrogate(low)) {
            this.pos = at + 12;
            return String.fromCharCode(unit, low);
          }
        }
        if (!this.keepLoneSurrogates) this.loneSurrogate(unit, at);
        return String.fromCharCode(unit);
      }
    }
    return this.fail(`invalid escape '\\${String.fromCodePoint(text.codePointAt(at + 1)!)}' in string`, at);
  }

  private readHex4(offset: number): number {
    const value = hexValue(this.text, offset);
    if (value < 0) this.fail("expected 4 hex digits after '\\u'", offset - 2);
    return value;
  }

  private readNumber(): JsonNumber {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    let integer = true;
    if (text.charCodeAt(pos) === MINUS) pos++;
    const first = text.charCodeAt(pos);
    if (first === ZERO) {
      pos++;
      if ((text.charCodeAt(pos) | 0x20) === 0x78) return this.readHex(start, pos + 1); // 0x or 0X
      if (isDigit(text.charCodeAt(pos))) this.fail('leading zeros are not allowed in numbers', start);
    } else if (isDigit(first)) {
      pos = skipDigits(text, pos + 1);
    } else {
      this.pos = pos;
      this.expected("a digit after '-'");
    }
    if (text.charCodeAt(pos) === DOT) {
      const digits = skipDigits(text, pos + 1);
      if (digits === pos + 1) {
        this.pos = digits;
        this.expected("a digit after '.'");
      }
      pos = digits;
      integer = false;
    }
    if ((text.charCodeAt(pos) | 0x20) === 0x65) { // e or E
      pos++;
      if (text.charCodeAt(pos) === PLUS || text.charCodeAt(pos) === MINUS) pos++;
      const digits = skipDigits(text, pos);
      if (digits === pos) {
        this.pos = digits;
        this.expected('a digit in the exponent');
      }
      pos = digits;
      integer = false;
    }
    this.pos = pos;
    return { kind: 'number', text: text.slice(start, pos), integer, offset: start };
  }

  /** `0x` integers, as in Nodix definitions (`"magic":0xD9BEFECA`); `digits` follows the x. */
  private readHex(start: number, digits: number): JsonNumber {
    if (!this.nodix) this.fail('hexadecimal numbers are allowed only in Nodix definitions', start);
    if (this.text.charCodeAt(start) === MINUS) this.fail('a hexadecimal number cannot be negative', start);
    let pos = digits;
    while (hexDigit(this.text.charCodeAt(pos)) >= 0) pos++;
    if (pos === digits) {
      this.pos = pos;
      this.expected("a hex digit after '0x'");
    }
    this.pos = pos;
    return { kind: 'number', text: this.text.slice(start, pos), integer: true, offset: start };
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a string holds an unpaired surrogate, which no UTF-8 text can (so no name or str value may). */
export function holdsLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** U+XXXX for a UTF-16 code unit. */
function unitName(unit: number): string {
  return `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}

function skipDigits(text: string, pos: number): number {
  while (isDigit(text.charCodeAt(pos))) pos++;
  return pos;
}

/** The value of the 4 hex digits at `offset`, or -1 if they are not all hex digits. */
function hexValue(text: string, offset: number): number {
  let value = 0;
  for (let i = offset; i < offset + 4; i++) {
    const digit = hexDigit(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}
