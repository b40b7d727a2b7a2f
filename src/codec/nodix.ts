// Nodix node definitions (notes/nodix.md): JSON with `(TYPE)` before keys and hex
// integers, either bare or as a script: `let TYPE name = \`{...}\`` (or a bare number or
// string after the `=`) defines a node of that type and name, and a script's other blocks
// (`proc`, `handler`, `page`, ... = `code`) are page code, which import passes over. A
// script imports as an object with one child per definition. Unannotated values take
// Nodix's defaults: a real is an f32, an integer 64-bit unsigned unless negative.
// Why this file is over 400 lines: it is the whole of reading Nodix text, the script's
// framing and the annotated JSON inside it, which share the one tokenizer and its offsets.

import { type JsonNode } from './jsonText.js';
import { JsonTextError, JsonTokenizer, type Locate } from './jsonTokens.js';
import { formedValue, isFormedType } from './forms.js';
import { applicationTypeId, nodixType, type NodixType } from './nodixTypes.js';
import {
  defaultLeaf,
  describeValue,
  NodeProblem,
  type NodeSink,
  PlanError,
  type PlanType,
  pointerSegment,
} from './plan.js';
import type { LeafValue, TypeName } from '../types.js';
import { type Member, type RuledValue, ValueReader, type ValueRule } from './valueReader.js';
import { bytesFromHex, fitsInteger, floatValue, integerValue, rangeText } from './values.js';

/** A definition of a script that cannot be imported, and why. */
export interface NodixFlaw {
  /** Its place among the script's definitions, from 0. */
  readonly index: number;
  readonly name: string;
  readonly error: PlanError | JsonTextError;
}

export interface NodixReaderOptions {
  maxDepth?: number;
  locate: Locate;
  /** Definitions (by index) to pass over without reading: ones a first reading found flawed. */
  skip?: ReadonlySet<number>;
  /** Called for each flawed definition, which is then passed over; without it, the first flaw throws. */
  onFlaw?: (flaw: NodixFlaw) => void;
}

/** The types that may be given `0`, `{}` or `[]` for their empty value, and that value's text form. */
const EMPTY_TEXT: Partial<Record<TypeName, string>> = {
  hash: '0'.repeat(64),
  block_hash: '0'.repeat(64),
  tx_hash: '0'.repeat(64),
  pubkey: '',
  address: '',
  der_sig: '',
  vstr: '',
  str: '',
};

function label(member: Member): string {
  return `(${member.annotation})${member.name === undefined ? 'the top level' : JSON.stringify(member.name)}`;
}

function annotatedType(member: Member): NodixType {
  const type = nodixType(member.annotation!);
  if (type === undefined) throw new NodeProblem(`unknown Nodix type (${member.annotation})`, member.offset);
  return type;
}

/** The structured type a Nodix type stands for, and the JSON it takes; undefined for leaf types. */
function structured(type: NodixType): { type: PlanType; name: string; json: 'object' | 'array' } | undefined {
  if ('record' in type) return { type: applicationTypeId(type.record.id), name: type.record.name, json: type.record.json };
  if (type.grove === 'object') return { type: 'object', name: 'object', json: 'object' };
  if (type.grove === 'list') return { type: 'list', name: 'list', json: 'array' };
  return undefined;
}

const nodixRule: ValueRule = {
  container(kind, member, offset) {
    if (member.annotation === undefined) return kind === 'object' ? 'object' : 'list';
    const node = structured(annotatedType(member));
    if (node === undefined) return undefined; // a leaf's value (a vector's numbers): read it whole
    if (node.json !== kind) {
      const expected = node.json === 'object' ? 'an object' : 'an array';
      throw new NodeProblem(`${label(member)} must be ${expected} for ${node.name}, not an ${kind}`, offset, 'TYPE_MISMATCH');
    }
    return node.type;
  },

  value(value, member): RuledValue {
    if (member.annotation === undefined) {
      if (member.top && value.kind !== 'object' && value.kind !== 'array') {
        throw new NodeProblem('a Nodix definition is an object or an array', value.offset);
      }
      // only scalars come here unannotated: containers stream
      return defaultLeaf(value as Exclude<JsonNode, { kind: 'object' | 'array' }>, 'f32', 'u64');
    }
    const type = annotatedType(member);
    const node = structured(type);
    if (node !== undefined) {
      // Nodix writes null for a structured member that has nothing in it yet
      // (`(NODE_BITCORE_WALLET_ADDR_LIST) "addr scan list" : null` in nodix.node).
      if (value.kind !== 'null') {
        const expected = node.json === 'object' ? 'an object' : 'an array';
        throw mismatch(member, value, node.name, expected);
      }
      return { type: node.type, empty: true };
    }
    return { type: (type as { grove: TypeName }).grove, value: leafValue(value, (type as { grove: TypeName }).grove, member) };
  },
};

function mismatch(member: Member, value: JsonNode, type: string, expected: string): NodeProblem {
  return new NodeProblem(`${label(member)} must be ${expected} for ${type}, not ${describeValue(value)}`, value.offset, 'TYPE_MISMATCH');
}

function leafValue(value: JsonNode, type: TypeName, member: Member): LeafValue {
  const name = label(member);
  const empty = EMPTY_TEXT[type];
  // Nodix creates a node of the declared type and fills it in later (a page sets
  // `http_service`, declared `let NODE_BITCORE_VSTR http_service = \`{}\``); a chain-typed
  // variable starts as 0 (`let NODE_BITCORE_HASH root_app_hash = 0`): the type's empty value.
  if (empty !== undefined && isEmptyValue(value, type)) return isFormedType(type) ? formedValue({ kind: 'string', value: empty, offset: value.offset }, type, false, name) : empty;
  if (isFormedType(type)) return formedValue(value, type, false, name);
  const fail = (expected: string) => mismatch(member, value, type, expected);
  const problem = (text: string) => new NodeProblem(`${name}: ${text}`, value.offset, 'TYPE_MISMATCH');
  switch (type) {
    case 'str':
      if (value.kind !== 'string') throw fail('a string');
      return value.value;
    case 'bool':
      if (value.kind !== 'bool') throw fail('true or false');
      return value.value;
    case 'null':
      if (value.kind !== 'null') throw fail('null');
      return null;
    case 'bytes': {
      if (value.kind !== 'string') throw fail('a string of hex digits');
      const bytes = bytesFromHex(value.value);
      if (bytes === undefined) throw problem('bytes must be an even number of hex digits');
      if (member.annotation === 'NODE_MD5_HASH' && bytes.length !== 16) throw problem(`an MD5 hash is 16 bytes, not ${bytes.length}`);
      return bytes;
    }
    case 'f32':
    case 'f64': {
      if (value.kind !== 'number') throw fail('a number');
      const float = floatValue(value.text, type);
      if (float === undefined) throw problem(`${value.text} is too large for ${type}`);
      return float;
    }
    default: {
      const integerType = type as Exclude<TypeName, 'object' | 'list'> & Parameters<typeof fitsInteger>[1];
      if (value.kind !== 'number' || !value.integer) throw fail('an integer');
      const integer = integerValue(value.text);
      if (!fitsInteger(integer, integerType)) throw problem(`${value.text} is out of range for ${type} (${rangeText(integerType)})`);
      return integer;
    }
  }
}

function isEmptyValue(value: JsonNode, type: TypeName): boolean {
  if (value.kind === 'object') return value.entries.length === 0;
  if (value.kind === 'array') return value.items.length === 0;
  // 0 only for the chain types, whose text is never a number
  return value.kind === 'number' && value.text === '0' && type !== 'str' && type !== 'vstr';
}

const LET = /^let\s+([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*=\s*/;
const WORD = /^[A-Za-z_]/;
const SPACE = /[ \t\r\n]*/y;
const NOT_A_STATEMENT = 'expected a definition (let TYPE name = `...`) or a block of script code (KIND name = `...`)';

function spaceAt(text: string, at: number): number {
  SPACE.lastIndex = at;
  SPACE.test(text);
  return SPACE.lastIndex;
}

/** Passes a definition's nodes on, counting those still open, so that a flawed one can be closed. */
class DefinitionSink implements NodeSink {
  #open = 0;

  constructor(private readonly sink: NodeSink) {}

  open(name: string | undefined, type: PlanType): void {
    this.#open++;
    this.sink.open(name, type);
  }

  leaf(name: string | undefined, type: PlanType, value: LeafValue): void {
    this.sink.leaf(name, type, value);
  }

  close(): void {
    this.#open--;
    this.sink.close();
  }

  /** Closes what is still open. */
  unwind(): void {
    while (this.#open > 0) this.close();
  }
}

/** The definition being read. */
interface Definition {
  readonly index: number;
  readonly name: string;
  /** Its JSON is between backticks (else it is a bare number or string, ending with its line). */
  readonly quoted: boolean;
  readonly sink: DefinitionSink;
  readonly reader: ValueReader;
  readonly tokenizer: JsonTokenizer;
}

type Mode = 'start' | 'statement' | 'body' | 'bare' | 'closing' | 'code' | 'skipping' | 'document';

/**
 * Reads a Nodix document in pieces into a sink: a bare definition (one JSON value), or a
 * script, as an object of its definitions. Only a statement's head is ever held whole;
 * definitions stream through the JSON tokenizer, and page code is passed over.
 */
export class NodixReader {
  readonly #sink: NodeSink;
  readonly #options: NodixReaderOptions;
  #mode: Mode = 'start';
  /** Input not read yet (a statement's head waiting for its end), and its offset. */
  #pending = '';
  #offset = 0;
  #script = false;
  #statementOffset = 0;
  #definitions = 0;
  #definition: Definition | undefined;
  /** What a passed-over definition ends with: its closing backtick, or its line's end. */
  #skipping: 'quoted' | 'bare' = 'quoted';
  #document: { reader: ValueReader; tokenizer: JsonTokenizer } | undefined;

  constructor(sink: NodeSink, options: NodixReaderOptions) {
    this.#sink = sink;
    this.#options = options;
  }

  write(piece: string): void {
    this.#pending += piece;
    this.#drain(false);
  }

  end(): void {
    this.#drain(true);
    switch (this.#mode) {
      case 'start':
        // nothing but whitespace: a script without definitions (as the export of an empty object is)
        this.#sink.open(undefined, 'object');
        this.#sink.close();
        return;
      case 'document':
        this.#guard(() => this.#document!.tokenizer.end(), this.#document!.reader);
        return;
      case 'bare':
      case 'body':
        this.#inDefinition(this.#offset, () => {
          this.#definition!.tokenizer.end();
          if (this.#definition!.quoted) this.#fail("expected '`' to close the definition", this.#offset);
          return 0;
        });
        break;
      case 'closing':
        this.#inDefinition(this.#offset, () => this.#fail("expected '`' to close the definition", this.#offset));
        break;
      case 'code':
        this.#fail("this block of script code has no closing '`'", this.#statementOffset);
    }
    this.#definition = undefined;
    if (this.#script) this.#sink.close();
  }

  #drain(final: boolean): void {
    while (this.#pending.length > 0) {
      const taken = this.#step(this.#pending, this.#offset, final);
      if (taken === undefined) return;
      this.#pending = this.#pending.slice(taken);
      this.#offset += taken;
    }
  }

  /** Reads from the start of `text`, at `offset`; returns how much it took, or undefined to wait for more. */
  #step(text: string, offset: number, final: boolean): number | undefined {
    switch (this.#mode) {
      case 'start':
      case 'statement':
        return this.#statement(text, offset, final);
      case 'document':
        this.#guard(() => this.#document!.tokenizer.write(text), this.#document!.reader);
        return text.length;
      case 'body':
      case 'bare': {
        const definition = this.#definition!;
        const taken = this.#inDefinition(offset, () => definition.tokenizer.write(text));
        if (this.#definition === definition && definition.tokenizer.done) {
          if (definition.quoted) {
            this.#mode = 'closing';
          } else {
            this.#definition = undefined;
            this.#mode = 'statement';
          }
        }
        return taken;
      }
      case 'closing': {
        const at = spaceAt(text, 0);
        if (at === text.length) return at;
        if (text[at] !== '`') return this.#inDefinition(offset, () => this.#fail("expected '`' to close the definition", offset + at));
        this.#definition = undefined;
        this.#mode = 'statement';
        return at + 1;
      }
      case 'code':
      case 'skipping': {
        const close = this.#mode === 'skipping' && this.#skipping === 'bare' ? text.search(/[\r\n]/) : text.indexOf('`');
        if (close === -1) return text.length;
        this.#mode = 'statement';
        return close + 1;
      }
    }
  }

  /** The next statement's head, once the text holds all of it: up to the backtick that opens its text, or its line's end. */
  #statement(text: string, offset: number, final: boolean): number | undefined {
    const start = spaceAt(text, 0);
    if (start === text.length) return start;
    const at = offset + start;
    if (this.#mode === 'start' && !WORD.test(text.slice(start, start + 1))) {
      // a bare definition: the whole document is one JSON value
      const reader = new ValueReader(this.#sink, nodixRule);
      const tokenizer = new JsonTokenizer(reader, { nodix: true, maxDepth: this.#options.maxDepth, locate: this.#options.locate, base: at });
      this.#document = { reader, tokenizer };
      this.#mode = 'document';
      return start;
    }
    const rest = text.slice(start);
    if (!final && !/[`\n]/.test(rest)) return undefined;
    if (!this.#script) {
      this.#script = true;
      this.#sink.open(undefined, 'object');
    }
    this.#statementOffset = at;
    const head = LET.exec(rest);
    if (head !== null) {
      const valueAt = head[0].length;
      if (valueAt === rest.length && !final) return undefined;
      const quoted = rest[valueAt] === '`';
      if (!quoted && !/^[-0-9"]/.test(rest.slice(valueAt, valueAt + 1))) {
        this.#fail('expected a definition of the form let TYPE name = `{ ... }`', at);
      }
      const body = start + valueAt + (quoted ? 1 : 0);
      this.#beginDefinition(head[2]!, head[1]!, at + rest.indexOf(head[1]!, 3), quoted, offset + body);
      return body;
    }
    if (/^let\b/.test(rest)) this.#fail('expected a definition of the form let TYPE name = `{ ... }`', at);
    const open = rest.indexOf('`');
    if (open === -1) {
      if (!final) return undefined;
      this.#fail(NOT_A_STATEMENT, at);
    }
    if (!WORD.test(rest) || !/=\s*$/.test(rest.slice(0, open))) this.#fail(NOT_A_STATEMENT, at);
    // page code: passed over up to its closing backtick
    this.#mode = 'code';
    return start + open + 1;
  }

  #beginDefinition(name: string, annotation: string, annotationOffset: number, quoted: boolean, valueOffset: number): void {
    const index = this.#definitions++;
    if (this.#options.skip?.has(index)) {
      this.#skipping = quoted ? 'quoted' : 'bare';
      this.#mode = 'skipping';
      return;
    }
    const sink = new DefinitionSink(this.#sink);
    const reader = new ValueReader(sink, nodixRule, { name, annotation, offset: annotationOffset }, pointerSegment(name));
    const tokenizer = new JsonTokenizer(reader, {
      nodix: true,
      maxDepth: this.#options.maxDepth,
      single: true,
      base: valueOffset,
      locate: this.#options.locate,
    });
    this.#definition = { index, name, quoted, sink, reader, tokenizer };
    this.#mode = quoted ? 'body' : 'bare';
  }

  /**
   * Runs a step of the current definition. A flaw in it throws, or, when the caller asked
   * for flaws to be reported, is reported and the definition passed over from the flaw on
   * (its open nodes closed): the step then took the text before the flaw.
   */
  #inDefinition(offset: number, step: () => number): number {
    const definition = this.#definition!;
    try {
      return step();
    } catch (error) {
      const flaw = this.#planError(error, definition.reader);
      if (this.#options.onFlaw === undefined) throw flaw;
      definition.sink.unwind();
      this.#options.onFlaw({ index: definition.index, name: definition.name, error: flaw });
      this.#definition = undefined;
      this.#skipping = definition.quoted ? 'quoted' : 'bare';
      this.#mode = 'skipping';
      return Math.max(0, flaw.offset - offset);
    }
  }

  #guard(step: () => unknown, reader: ValueReader): void {
    try {
      step();
    } catch (error) {
      throw this.#planError(error, reader);
    }
  }

  #planError(error: unknown, reader: ValueReader): PlanError | JsonTextError {
    if (error instanceof NodeProblem) return new PlanError(error.message, error.offset, this.#options.locate, reader.pointer(), error.code);
    if (error instanceof JsonTextError || error instanceof PlanError) return error;
    throw error;
  }

  #fail(problem: string, offset: number): never {
    throw new JsonTextError(problem, offset, this.#options.locate);
  }
}
