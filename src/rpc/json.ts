// JSON-RPC messages read without losing what JSON.parse loses (DESIGN "Limits": integers are
// kept exactly or refused). An integer literal stays exact: a number within ±2^53, a bigint
// beyond it, up to the 64-bit range the tree holds (-2^63 to 2^64-1); an integer past that, a
// real past a 64-bit float's range (1e400, 1e-400) and a string holding an unpaired surrogate
// are refused with -32602 naming where they are, for that call alone. A numeric request id that
// no JavaScript number writes back the same way (1e400, 9007199254740993) is kept as its text.
import { holdsLoneSurrogate, JsonDepthError, type JsonArray, type JsonNode, type JsonNumber, type JsonObject, parseJsonText } from '../codec/jsonText.js';
import { integerValue } from '../codec/values.js';
import { ErrorCode } from '../wire/errors.js';
import { RpcError } from './errors.js';
import { ExactNumber, type RpcId } from './protocol.js';

/** One call of a message (a request or notification), or why it cannot be read. */
export type MessageItem = { value: unknown } | { id: RpcId; error: RpcError };

export type Message = { batch: false; item: MessageItem } | { batch: true; items: MessageItem[] };

/** Objects and arrays a message holds above a param's own value: a batch, a request, its params. */
const ENVELOPE_DEPTH = 3;

const MIN_I64 = -(2n ** 63n);
const MAX_U64 = 2n ** 64n - 1n;

/**
 * What JSON.parse may read otherwise than readExactly: a number with an exponent or a run of
 * 16 digits (past 2^53, or out of a float's range), the integer -0, a surrogate (raw or
 * escaped: it may be unpaired), a request id with a fraction (1.50 would be echoed as 1.5).
 * It may match inside strings too, which only costs the exact reading.
 */
const NEEDS_EXACT = /[0-9][eE]|[0-9]{16}|-0(?![.0-9eE])|[\ud800-\udfff]|\\u[dD][89a-fA-F]|"id"\s*:\s*-?[0-9]+\./;

/**
 * Reads one HTTP body or WebSocket message. Throws a SyntaxError for text that is not JSON,
 * and the -32005 RpcError for one nesting far deeper than `maxDepth` (the engine's limit on a
 * param's nesting, which it checks itself for anything up to one level past it). A text
 * holding nothing JSON.parse could misread (nearly every one) is read by JSON.parse, which
 * gives the same values faster.
 */
export function readMessage(text: string, maxDepth: number): Message {
  if (!NEEDS_EXACT.test(text)) {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return readExactly(text, maxDepth); // which explains the error (or reads a leading byte order mark)
    }
    return Array.isArray(message) ? { batch: true, items: message.map((value: unknown) => ({ value })) } : { batch: false, item: { value: message } };
  }
  return readExactly(text, maxDepth);
}

/** readMessage without JSON.parse: every number and string as the text has it. */
export function readExactly(text: string, maxDepth: number): Message {
  let root: JsonNode;
  try {
    root = parseJsonText(text, { loneSurrogates: 'keep', maxDepth: maxDepth + ENVELOPE_DEPTH + 1 });
  } catch (error) {
    if (!(error instanceof JsonDepthError)) throw error;
    throw new RpcError(
      ErrorCode.LimitExceeded,
      `the message nests arrays and objects far too deeply (limits.maxDepth is ${maxDepth})`,
      { limit: 'maxDepth', max: maxDepth },
    );
  }
  const strings = mayHoldLoneSurrogates(text);
  if (root.kind === 'array') return { batch: true, items: root.items.map((item) => readItem(item, strings)) };
  return { batch: false, item: readItem(root, strings) };
}

/**
 * Any JSON text as a value, exact as a message's values are (forwarded calls between the
 * stations of a cluster); throws a SyntaxError, or the -32602 RpcError for a value refused.
 */
export function parseExact(text: string): unknown {
  const item = readItem(parseJsonText(text, { loneSurrogates: 'keep', maxDepth: Number.POSITIVE_INFINITY }), mayHoldLoneSurrogates(text));
  if ('error' in item) throw item.error;
  return item.value;
}

/** Why a value cannot be read, thrown while converting; `ofKey`: the problem is the key, not its value. */
class ValueProblem extends Error {
  constructor(
    message: string,
    readonly ofKey = false,
  ) {
    super(message);
  }
}

/**
 * Whether a text may hold a string with an unpaired surrogate: it holds a surrogate, raw or
 * escaped (paired ones too, and "\\\\ud800", which is no escape). Only then are strings checked.
 */
function mayHoldLoneSurrogates(text: string): boolean {
  return /[\ud800-\udfff]|\\u[dD][89a-fA-F]/.test(text);
}

/** A call's value; `strings`: check its strings (and keys) for unpaired surrogates. */
function readItem(node: JsonNode, strings: boolean): MessageItem {
  const stack: Frame[] = [];
  try {
    return { value: toValue(node, stack, strings) };
  } catch (error) {
    if (!(error instanceof ValueProblem)) throw error;
    const names = stack.map(({ node: container, next }) => keyAt(container, next - 1));
    // a bad key is named by the object that holds it: the key itself cannot be written
    const where = (error.ofKey ? names.slice(0, -1) : names).join('.');
    return {
      id: idOf(node),
      error: new RpcError(ErrorCode.InvalidParams, `Invalid params: ${where === '' ? 'the request' : `"${where}"`} ${error.message}`, {
        param: where,
      }),
    };
  }
}

interface Frame {
  node: JsonObject | JsonArray;
  out: Record<string, unknown> | unknown[];
  next: number;
}

/** The JavaScript value of a request (or any JSON value), built without recursion: nesting is unbounded here. */
function toValue(root: JsonNode, stack: Frame[], strings: boolean): unknown {
  if (root.kind !== 'object' && root.kind !== 'array') return scalarValue(root, strings);
  const top = emptyOf(root);
  stack.push({ node: root, out: top, next: 0 });
  filling: while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { node } = frame;
    if (node.kind === 'array') {
      const { items } = node;
      const out = frame.out as unknown[];
      while (frame.next < items.length) {
        const child = items[frame.next++]!;
        if (child.kind !== 'object' && child.kind !== 'array') {
          out.push(scalarValue(child, strings));
          continue;
        }
        const value = emptyOf(child);
        out.push(value);
        stack.push({ node: child, out: value, next: 0 });
        continue filling;
      }
    } else {
      const { entries } = node;
      const out = frame.out as Record<string, unknown>;
      const request = stack.length === 1;
      while (frame.next < entries.length) {
        const { key, value: child } = entries[frame.next++]!;
        if (strings && holdsLoneSurrogate(key)) {
          throw new ValueProblem('has a key with an unpaired surrogate, which has no UTF-8 form: send well-formed Unicode', true);
        }
        const container = child.kind === 'object' || child.kind === 'array';
        // a request's own id keeps its exact text; any other number is a value
        const value = container ? emptyOf(child) : request && key === 'id' && child.kind === 'number' ? exactId(child.text) : scalarValue(child, strings);
        // as JSON.parse: "__proto__" is an own member, never the prototype (and a repeated key keeps its last value)
        if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
        else out[key] = value;
        if (container) {
          stack.push({ node: child, out: value as Frame['out'], next: 0 });
          continue filling;
        }
      }
    }
    stack.pop();
  }
  return top;
}

function emptyOf(node: JsonObject | JsonArray): Frame['out'] {
  return node.kind === 'object' ? {} : [];
}

function scalarValue(node: Exclude<JsonNode, JsonObject | JsonArray>, strings: boolean): unknown {
  switch (node.kind) {
    case 'string':
      if (strings && holdsLoneSurrogate(node.value)) {
        throw new ValueProblem(`holds a string with an unpaired surrogate, which has no UTF-8 form: send well-formed Unicode`);
      }
      return node.value;
    case 'number':
      return numberValue(node);
    case 'bool':
      return node.value;
    case 'null':
      return null;
  }
}

function numberValue({ text, integer }: JsonNumber): number | bigint {
  if (integer) {
    // as JSON.parse reads it ("-0" too) while a number holds it exactly
    if (text.length <= 15) return Number(text);
    const value = integerValue(text);
    if (typeof value === 'bigint' && (value < MIN_I64 || value > MAX_U64)) {
      throw new ValueProblem(
        `is the integer ${clip(text)}, which does not fit 64 bits: the tree holds integers from ${MIN_I64} to ${MAX_U64} exactly; send a larger one as a string`,
      );
    }
    return value;
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw new ValueProblem(`is the number ${clip(text)}, beyond the range of a 64-bit float (about ±1.8e308)`);
  // a literal with a nonzero digit that reads as 0 is too small for a float, not zero
  if (value === 0 && /[1-9]/.test(text.split(/[eE]/)[0]!)) {
    throw new ValueProblem(`is the number ${clip(text)}, too small for a 64-bit float: it would be read as 0`);
  }
  return value;
}

/** A request id as sent: a number when a number writes back as the same text, else the text itself. */
function exactId(text: string): number | ExactNumber {
  const value = Number(text);
  // String() writes a finite number as JSON.stringify does (Infinity, which JSON writes as null, never equals a literal)
  return String(value) === text ? value : new ExactNumber(text);
}

/** The id of a request whose value cannot be read, so that its error still reaches the caller. */
function idOf(node: JsonNode): RpcId {
  if (node.kind !== 'object') return null;
  const entry = node.entries.filter(({ key }) => key === 'id').pop();
  if (entry === undefined) return null;
  const { value } = entry;
  if (value.kind === 'number') return exactId(value.text);
  return value.kind === 'string' && !holdsLoneSurrogate(value.value) ? value.value : null;
}

function keyAt(node: JsonObject | JsonArray, index: number): string {
  return node.kind === 'object' ? node.entries[index]!.key : String(index);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 20)}…${text.slice(-10)} (${text.length} characters)` : text;
}
