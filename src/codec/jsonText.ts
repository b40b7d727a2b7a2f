// JSON text as a tree of values that keeps what JSON.parse throws away: the exact text of
// every number (so 64-bit integers survive), duplicate keys in order, the offset of every
// value, and in Nodix mode the `(TYPE)` annotation before a key. Built from the tokenizer's
// events (jsonTokens.ts), for whole texts and for the single values a streaming reader
// needs whole (a vector's numbers, a typed JSON leaf's value).

import {
  JsonTokenizer,
  type JsonHandler,
  type JsonScalar,
  lineColumn,
  type Locate,
} from './jsonTokens.js';

export {
  type JsonBool,
  type JsonNull,
  type JsonNumber,
  type JsonScalar,
  type JsonString,
  JsonDepthError,
  JsonTextError,
  lineColumn,
} from './jsonTokens.js';

export type JsonNode = JsonObject | JsonArray | JsonScalar;

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

export interface JsonTextOptions {
  /** Accept Nodix definition syntax: `(TYPE)` before a key, and `0x` hex integers. */
  nodix?: boolean;
  /** The deepest nesting of objects and arrays accepted; default 512. */
  maxDepth?: number;
  /** Unpaired surrogates are refused unless 'keep' (TokenizerOptions.loneSurrogates). */
  loneSurrogates?: 'refuse' | 'keep';
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a string holds an unpaired surrogate, which no UTF-8 text can (so no name or str value may). */
export function holdsLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * Builds the value whose events it is given; `done` is called with it once it is complete.
 * Open containers wait on an explicit stack, each attached to its parent as it opens.
 */
export class JsonTreeBuilder implements JsonHandler {
  readonly #open: (JsonObject | JsonArray)[] = [];
  #key = '';
  #annotation: string | undefined;
  #entryOffset = 0;

  constructor(private readonly done: (value: JsonNode) => void) {}

  /** Whether a container is open: the value is not complete yet. */
  get building(): boolean {
    return this.#open.length > 0;
  }

  beginObject(offset: number): void {
    this.#opened({ kind: 'object', entries: [], offset });
  }

  beginArray(offset: number): void {
    this.#opened({ kind: 'array', items: [], offset });
  }

  key(key: string, annotation: string | undefined, offset: number): void {
    this.#key = key;
    this.#annotation = annotation;
    this.#entryOffset = offset;
  }

  scalar(value: JsonScalar): void {
    this.#attach(value);
  }

  end(): void {
    const closed = this.#open.pop()!;
    if (this.#open.length === 0) this.done(closed);
  }

  #opened(container: JsonObject | JsonArray): void {
    if (this.#open.length > 0) this.#attach(container);
    this.#open.push(container);
  }

  #attach(value: JsonNode): void {
    const container = this.#open[this.#open.length - 1];
    if (container === undefined) this.done(value);
    else if (container.kind === 'array') container.items.push(value);
    else container.entries.push({ key: this.#key, annotation: this.#annotation, value, offset: this.#entryOffset });
  }
}

/** Parses a whole JSON text. A leading byte order mark is ignored (RFC 8259 allows it). */
export function parseJsonText(text: string, options: JsonTextOptions = {}): JsonNode {
  let root: JsonNode | undefined;
  const tokenizer = new JsonTokenizer(
    new JsonTreeBuilder((value) => (root = value)),
    { ...options, bom: true, locate: locateIn(text) },
  );
  tokenizer.write(text);
  tokenizer.end();
  return root!;
}

/** Parses one JSON value starting at `offset`; `end` is the offset just after it. */
export function parseJsonValueAt(
  text: string,
  offset: number,
  options: JsonTextOptions = {},
): { value: JsonNode; end: number } {
  let value: JsonNode | undefined;
  const tokenizer = new JsonTokenizer(
    new JsonTreeBuilder((done) => (value = done)),
    { ...options, single: true, base: offset, locate: locateIn(text) },
  );
  tokenizer.write(text.slice(offset));
  tokenizer.end();
  return { value: value!, end: tokenizer.endOffset };
}

/** Positions in a text held whole. */
export function locateIn(text: string): Locate {
  return (offset) => lineColumn(text, offset);
}
