// A JSON tokenizer that takes its text in pieces, as a file or a socket delivers it, and
// tells a handler the document's structure as it goes: objects and arrays opening and
// closing, keys, and scalars with the exact text of every number (so 64-bit integers
// survive) and the offset of every value (so errors can name a line and column). Nodix
// mode adds the `(TYPE)` annotation before a key and `0x` hex integers. Memory is what
// the handler keeps plus the token being read; nesting is bounded by `maxDepth`, never by
// the call stack.
// Why this file is over 400 lines: it is one state machine, whose states read each other's
// pieces of text; cut apart, a token split across two pieces would be followed in two files.

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

export type JsonScalar = JsonString | JsonNumber | JsonBool | JsonNull;

/** What a document is made of, in document order. Offsets count UTF-16 code units of the whole input. */
export interface JsonHandler {
  beginObject(offset: number): void;
  beginArray(offset: number): void;
  /** An object member's key; `offset` is where the member starts (its annotation, else its key). */
  key(key: string, annotation: string | undefined, offset: number): void;
  scalar(value: JsonScalar): void;
  /** The innermost open object or array closes; `offset` is its closing bracket. */
  end(offset: number): void;
}

export interface Position {
  line: number;
  column: number;
}

/** Finds the line and column of an offset, for error messages (see lineColumn). */
export type Locate = (offset: number) => Position;

export interface TokenizerOptions {
  /** Accept Nodix definition syntax: `(TYPE)` before a key, and `0x` hex integers. */
  nodix?: boolean;
  /** The deepest nesting of objects and arrays accepted; default 512. */
  maxDepth?: number;
  /** Read one value and stop there: what follows belongs to someone else (write() says how much it took). */
  single?: boolean;
  /** The offset of the first character written, when the input does not start there. */
  base?: number;
  /** Skip a leading byte order mark (RFC 8259 allows one). */
  bom?: boolean;
  /**
   * An unpaired surrogate (escaped, or raw in the text) is refused by default: it has no
   * UTF-8 form, and writing U+FFFD in its place would change the string silently. 'keep'
   * leaves it in the string, as JSON.parse does, for a caller that refuses it itself.
   */
  loneSurrogates?: 'refuse' | 'keep';
  locate: Locate;
}

export const DEFAULT_MAX_DEPTH = 512;

export class JsonTextError extends SyntaxError {
  readonly offset: number;
  readonly line: number;
  readonly column: number;

  constructor(problem: string, offset: number, locate: Locate) {
    const { line, column } = locate(offset);
    super(`${problem} at line ${line}, column ${column}`);
    this.name = 'JsonTextError';
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/** The text nests objects and arrays deeper than the tokenizer's maxDepth allows. */
export class JsonDepthError extends JsonTextError {}

/** 1-based line and column (in UTF-16 code units) of an offset in a text; only errors need it. */
export function lineColumn(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
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

// What the tokenizer expects next.
const VALUE = 0; // a value: at the top, after ':', after ',' in an array
const FIRST_ITEM = 1; // after '[': a value or ']'
const FIRST_KEY = 2; // after '{': a member or '}'
const KEY = 3; // after ',' in an object: a member
const ANNOTATED = 4; // after '(TYPE)': the key
const AFTER_KEY = 5; // ':'
const NEXT = 6; // after a value in a container: ',' or its closing bracket
const DONE = 7; // the top value is complete

const OBJECT = 0;
const ARRAY = 1;

/** Returned by a token reader that ran out of input before the token ended. */
const MORE = -1;

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

export class JsonTokenizer {
  readonly #handler: JsonHandler;
  readonly #nodix: boolean;
  readonly #maxDepth: number;
  readonly #single: boolean;
  readonly #keepLoneSurrogates: boolean;
  readonly #locate: Locate;
  /** The input not yet consumed: the rest of the last piece, after what an unfinished token carried over. */
  #text = '';
  /** The offset of #text[0] in the whole input. */
  #base: number;
  #pos = 0;
  #bom: boolean;
  #state = VALUE;
  readonly #kinds: number[] = [];
  /** The offset of the comma just read, until a value or key follows it; else -1. */
  #commaOffset = -1;
  // the member whose value comes next
  #key = '';
  #annotation: string | undefined;
  #entryOffset = 0;
  // a string that runs past the end of the text: what it decoded so far, and where it started
  #partial: string | undefined;
  #stringStart = 0;
  #ended = false;
  #endOffset = -1;

  constructor(handler: JsonHandler, options: TokenizerOptions) {
    this.#handler = handler;
    this.#nodix = options.nodix ?? false;
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#single = options.single ?? false;
    this.#base = options.base ?? 0;
    this.#bom = options.bom ?? false;
    this.#keepLoneSurrogates = options.loneSurrogates === 'keep';
    this.#locate = options.locate;
  }

  /** Whether the top value is complete. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** In single mode, the offset just after the value once it is complete; else -1. */
  get endOffset(): number {
    return this.#endOffset;
  }

  /**
   * Reads the next piece of the input. Returns how many of its characters were taken: all
   * of them, except in single mode once the value is complete.
   */
  write(piece: string): number {
    if (this.#ended) throw new Error('JsonTokenizer: write() after end()');
    const start = this.#base + this.#text.length;
    if (this.#state === DONE && this.#single) return 0;
    if (this.#pos < this.#text.length) {
      this.#text = this.#text.slice(this.#pos) + piece;
    } else {
      this.#text = piece;
    }
    this.#base += this.#pos;
    // the offset of `piece` in the whole input is where the old text ended
    this.#pos = 0;
    if (this.#bom) {
      if (this.#text.length === 0) return piece.length;
      this.#bom = false;
      if (this.#text.charCodeAt(0) === 0xfeff) this.#pos = 1;
    }
    this.#scan(false);
    return this.#single && this.#state === DONE ? this.#endOffset - start : piece.length;
  }

  /** The input is over: finishes a number at its very end, or says what is missing. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#scan(true);
    if (this.#state !== DONE) this.#expected(this.#expectation());
  }

  #offset(pos: number): number {
    return this.#base + pos;
  }

  #fail(problem: string, pos: number): never {
    throw new JsonTextError(problem, this.#offset(pos), this.#locate);
  }

  /** Names the character at `pos` for an error message. */
  #found(pos: number): string {
    const text = this.#text;
    if (pos >= text.length) return 'the end of the input';
    const code = text.codePointAt(pos)!;
    if (code < 0x20 || code === 0x7f) return unitName(code);
    return `'${String.fromCodePoint(code)}'`;
  }

  #expected(what: string, pos = this.#pos): never {
    this.#fail(`expected ${what} but found ${this.#found(pos)}`, pos);
  }

  #expectation(): string {
    switch (this.#state) {
      case VALUE:
      case FIRST_ITEM:
        return 'a value';
      case FIRST_KEY:
      case KEY:
        return 'a string key';
      case ANNOTATED:
        return 'a string key after the type annotation';
      case AFTER_KEY:
        return "':' after key";
      default:
        return this.#kinds[this.#kinds.length - 1] === OBJECT
          ? "',' or '}' after an object member"
          : "',' or ']' after an array item";
    }
  }

  #scan(final: boolean): void {
    const text = this.#text;
    const length = text.length;
    let pos = this.#pos;
    for (;;) {
      if (this.#partial !== undefined) {
        pos = this.#readString(pos, final);
        if (pos === MORE) return;
        continue;
      }
      let c = text.charCodeAt(pos);
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++pos);
      if (pos >= length) {
        this.#pos = pos;
        return;
      }
      const state = this.#state;
      if (state === NEXT) {
        const isObject = this.#kinds[this.#kinds.length - 1] === OBJECT;
        if (c === (isObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
          pos = this.#close(pos);
        } else if (c === COMMA) {
          this.#commaOffset = this.#offset(pos);
          this.#state = isObject ? KEY : VALUE;
          pos++;
        } else {
          this.#expected(this.#expectation(), pos);
        }
      } else if (state === VALUE || state === FIRST_ITEM) {
        if (c === CLOSE_BRACKET && state === FIRST_ITEM) {
          pos = this.#close(pos);
        } else if (c === CLOSE_BRACKET && this.#commaOffset >= 0) {
          throw new JsonTextError("trailing comma before ']'", this.#commaOffset, this.#locate);
        } else {
          this.#commaOffset = -1;
          pos = this.#readValue(c, pos, final);
          if (pos === MORE) return;
        }
      } else if (state === FIRST_KEY || state === KEY) {
        if (c === CLOSE_BRACE) {
          if (state === KEY) throw new JsonTextError("trailing comma before '}'", this.#commaOffset, this.#locate);
          pos = this.#close(pos);
        } else {
          this.#commaOffset = -1;
          this.#entryOffset = this.#offset(pos);
          this.#annotation = undefined;
          if (c === OPEN_PAREN && this.#nodix) {
            pos = this.#readAnnotation(pos);
            if (pos === MORE) return;
            this.#state = ANNOTATED;
          } else if (c === QUOTE) {
            pos = this.#startString(pos, final);
            if (pos === MORE) return;
          } else {
            this.#expected('a string key', pos);
          }
        }
      } else if (state === ANNOTATED) {
        if (c !== QUOTE) this.#expected('a string key after the type annotation', pos);
        pos = this.#startString(pos, final);
        if (pos === MORE) return;
      } else if (state === AFTER_KEY) {
        if (c !== COLON) this.#expected("':' after key", pos);
        pos++;
        this.#state = VALUE;
        this.#handler.key(this.#key, this.#annotation, this.#entryOffset);
      } else {
        if (this.#single) {
          this.#pos = pos;
          return;
        }
        this.#fail(`unexpected ${this.#found(pos)} after the JSON value`, pos);
      }
      // a token that ran out of input returned MORE above, leaving #pos at its start
      this.#pos = pos;
    }
  }

  /** Reads the value starting with `c` at `pos`; returns the position after it, or MORE. */
  #readValue(c: number, pos: number, final: boolean): number {
    const offset = this.#offset(pos);
    switch (c) {
      case OPEN_BRACE:
      case OPEN_BRACKET: {
        if (this.#kinds.length === this.#maxDepth) {
          throw new JsonDepthError(`nesting is deeper than the limit of ${this.#maxDepth} levels`, this.#offset(pos), this.#locate);
        }
        const isObject = c === OPEN_BRACE;
        this.#kinds.push(isObject ? OBJECT : ARRAY);
        this.#state = isObject ? FIRST_KEY : FIRST_ITEM;
        if (isObject) this.#handler.beginObject(offset);
        else this.#handler.beginArray(offset);
        return pos + 1;
      }
      case QUOTE:
        return this.#startString(pos, final);
      case 0x74: // t
        return this.#readLiteral(pos, 'true', final);
      case 0x66: // f
        return this.#readLiteral(pos, 'false', final);
      case 0x6e: // n
        return this.#readLiteral(pos, 'null', final);
      default:
        if (c === MINUS || isDigit(c)) return this.#readNumber(pos, final);
        return this.#expected('a value', pos);
    }
  }

  #close(pos: number): number {
    this.#kinds.pop();
    this.#handler.end(this.#offset(pos));
    this.#valueDone(pos + 1);
    return pos + 1;
  }

  /** A value ended just before `pos`. */
  #valueDone(pos: number): void {
    if (this.#kinds.length > 0) {
      this.#state = NEXT;
      return;
    }
    this.#state = DONE;
    if (this.#single) this.#endOffset = this.#offset(pos);
  }

  #scalar(value: JsonScalar, end: number): number {
    this.#handler.scalar(value);
    this.#valueDone(end);
    return end;
  }

  #readLiteral(pos: number, word: string, final: boolean): number {
    const text = this.#text;
    if (text.length - pos < word.length && !final && word.startsWith(text.slice(pos))) return MORE;
    if (!text.startsWith(word, pos)) this.#fail(`invalid literal: expected '${word}'`, pos);
    const offset = this.#offset(pos);
    const value: JsonScalar = word === 'null' ? { kind: 'null', offset } : { kind: 'bool', value: word === 'true', offset };
    return this.#scalar(value, pos + word.length);
  }

  /** `(TYPE)` before a key; returns the position after ')', or MORE. */
  #readAnnotation(pos: number): number {
    const text = this.#text;
    const length = text.length;
    let at = pos + 1;
    while (at < length && isSpace(text.charCodeAt(at))) at++;
    if (at === length) return MORE;
    if (!isNameStart(text.charCodeAt(at))) this.#expected("a type name after '('", at);
    const start = at;
    while (at < length && (isNameStart(text.charCodeAt(at)) || isDigit(text.charCodeAt(at)))) at++;
    const nameEnd = at;
    while (at < length && isSpace(text.charCodeAt(at))) at++;
    if (at === length) return MORE;
    if (text.charCodeAt(at) !== CLOSE_PAREN) this.#expected("')' after the type name", at);
    this.#annotation = text.slice(start, nameEnd);
    return at + 1;
  }

  #startString(pos: number, final: boolean): number {
    this.#stringStart = this.#offset(pos);
    this.#partial = '';
    return this.#readString(pos + 1, final);
  }

  /**
   * Reads on in the string that #partial holds the start of; returns the position after its
   * closing quote, or MORE (keeping what it decoded) when the input ends first. Unescaped
   * runs are sliced, never copied a character at a time.
   */
  #readString(pos: number, final: boolean): number {
    const text = this.#text;
    const length = text.length;
    let runStart = pos;
    let out = this.#partial!;
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        const value = out + text.slice(runStart, pos);
        this.#partial = undefined;
        return this.#stringDone(value, pos + 1);
      }
      if (c === BACKSLASH) {
        out += text.slice(runStart, pos);
        const escaped = this.#readEscape(pos, final);
        if (escaped === undefined) {
          // the escape runs past the input: carry it over, decode it with the next piece
          this.#partial = out;
          this.#pos = pos;
          return MORE;
        }
        out += escaped.text;
        pos = runStart = escaped.end;
      } else if (c < 0x20) {
        this.#fail(`control character ${unitName(c)} must be escaped in a string`, pos);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        if (c <= 0xdbff && pos + 1 === length && !final) {
          // whether a low surrogate follows is in the next piece: carry the high one over
          this.#partial = out + text.slice(runStart, pos);
          this.#pos = pos;
          return MORE;
        }
        const paired = c <= 0xdbff && isLowSurrogate(text.charCodeAt(pos + 1));
        if (!paired && !this.#keepLoneSurrogates) this.#loneSurrogate(c, pos);
        pos += paired ? 2 : 1;
      } else {
        pos++;
      }
    }
    if (final) this.#fail('unterminated string', this.#stringStart - this.#base);
    this.#partial = out + text.slice(runStart, pos);
    this.#pos = pos;
    return MORE;
  }

  #stringDone(value: string, end: number): number {
    if (this.#state === FIRST_KEY || this.#state === KEY || this.#state === ANNOTATED) {
      this.#key = value;
      this.#state = AFTER_KEY;
      return end;
    }
    return this.#scalar({ kind: 'string', value, offset: this.#stringStart }, end);
  }

  #loneSurrogate(unit: number, pos: number): never {
    this.#fail(`unpaired surrogate ${unitName(unit)} in a string: text must be well-formed Unicode`, pos);
  }

  /**
   * Decodes the escape at `at`, or undefined when the input ends inside it. A surrogate
   * pair written as two `\u` escapes becomes one character; an unpaired surrogate is
   * refused (or kept: TokenizerOptions.loneSurrogates).
   */
  #readEscape(at: number, final: boolean): { text: string; end: number } | undefined {
    const text = this.#text;
    if (at + 1 >= text.length) {
      if (final) this.#fail('unterminated string', this.#stringStart - this.#base);
      return undefined;
    }
    switch (text.charCodeAt(at + 1)) {
      case QUOTE: return { text: '"', end: at + 2 };
      case BACKSLASH: return { text: '\\', end: at + 2 };
      case 0x2f: return { text: '/', end: at + 2 };
      case 0x62: return { text: '\b', end: at + 2 };
      case 0x66: return { text: '\f', end: at + 2 };
      case 0x6e: return { text: '\n', end: at + 2 };
      case 0x72: return { text: '\r', end: at + 2 };
      case 0x74: return { text: '\t', end: at + 2 };
      case 0x75: { // u
        if (at + 6 > text.length && !final) return undefined;
        const unit = hexValue(text, at + 2);
        if (unit < 0) this.#fail("expected 4 hex digits after '\\u'", at);
        if (unit < 0xd800 || unit > 0xdfff) return { text: String.fromCharCode(unit), end: at + 6 };
        if (unit <= 0xdbff) {
          // a high surrogate: whether a low one follows needs the next 6 characters
          if (at + 12 > text.length && !final) return undefined;
          if (text.charCodeAt(at + 6) === BACKSLASH && text.charCodeAt(at + 7) === 0x75 /* u */) {
            const low = hexValue(text, at + 8);
            if (isLowSurrogate(low)) return { text: String.fromCharCode(unit, low), end: at + 12 };
          }
        }
        if (!this.#keepLoneSurrogates) this.#loneSurrogate(unit, at);
        return { text: String.fromCharCode(unit), end: at + 6 };
      }
    }
    return this.#fail(`invalid escape '\\${String.fromCodePoint(text.codePointAt(at + 1)!)}' in string`, at);
  }

  #readNumber(start: number, final: boolean): number {
    const text = this.#text;
    const length = text.length;
    let pos = start;
    let integer = true;
    if (text.charCodeAt(pos) === MINUS) pos++;
    if (pos === length && !final) return MORE;
    const first = text.charCodeAt(pos);
    if (first === ZERO) {
      pos++;
      if (pos === length && !final) return MORE;
      if ((text.charCodeAt(pos) | 0x20) === 0x78) return this.#readHex(start, pos + 1, final); // 0x or 0X
      if (isDigit(text.charCodeAt(pos))) this.#fail('leading zeros are not allowed in numbers', start);
    } else if (isDigit(first)) {
      pos = skipDigits(text, pos + 1);
    } else {
      this.#expected("a digit after '-'", pos);
    }
    if (pos === length && !final) return MORE;
    if (text.charCodeAt(pos) === DOT) {
      const digits = skipDigits(text, pos + 1);
      if (digits === length && !final) return MORE;
      if (digits === pos + 1) this.#expected("a digit after '.'", digits);
      pos = digits;
      integer = false;
    }
    if ((text.charCodeAt(pos) | 0x20) === 0x65) { // e or E
      pos++;
      if (pos === length && !final) return MORE;
      if (text.charCodeAt(pos) === PLUS || text.charCodeAt(pos) === MINUS) pos++;
      const digits = skipDigits(text, pos);
      if (digits === length && !final) return MORE;
      if (digits === pos) this.#expected('a digit in the exponent', digits);
      pos = digits;
      integer = false;
    }
    return this.#scalar({ kind: 'number', text: text.slice(start, pos), integer, offset: this.#offset(start) }, pos);
  }

  /** `0x` integers, as in Nodix definitions (`"magic":0xD9BEFECA`); `digits` follows the x. */
  #readHex(start: number, digits: number, final: boolean): number {
    if (!this.#nodix) this.#fail('hexadecimal numbers are allowed only in Nodix definitions', start);
    if (this.#text.charCodeAt(start) === MINUS) this.#fail('a hexadecimal number cannot be negative', start);
    const text = this.#text;
    let pos = digits;
    while (hexDigit(text.charCodeAt(pos)) >= 0) pos++;
    if (pos === text.length && !final) return MORE;
    if (pos === digits) this.#expected("a hex digit after '0x'", pos);
    return this.#scalar({ kind: 'number', text: text.slice(start, pos), integer: true, offset: this.#offset(start) }, pos);
  }
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** U+XXXX for a UTF-16 code unit. */
function unitName(unit: number): string {
  return `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
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
