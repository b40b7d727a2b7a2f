// Nodix text from a tree's nodes, as `grove export --format nodix` writes it: an object's
// children as a script of `let TYPE name = ...` definitions (a number or a string bare, the
// rest as JSON between backticks), each member annotated with its Nodix type wherever the
// type is not the one Nodix would give the value without one. What the Nodix import reads
// back is the same tree. A node Nodix cannot express (a type without a Nodix name, a
// non-finite float, a typed item in an array, a definition name that is no identifier) is
// refused, naming its path.

import { plainJsonValue } from './jsonValues.js';
import { applicationTypeId, nodixNameOf, nodixRecordOf, type NodixRecord } from './nodixTypes.js';
import type { NodeSink, PlanType } from './plan.js';
import { isTypeName, type LeafValue, type TypeName } from '../types.js';

interface Frame {
  /** 'script': the exported object, whose children are definitions. */
  readonly kind: 'script' | 'object' | 'array';
  readonly path: string;
  first: boolean;
}

const IDENTIFIER = /^[A-Za-z_]\w*$/;
const FLOAT_TYPES = new Set<TypeName>(['f32', 'f64']);
const INTEGER_TYPES = new Set<TypeName>(['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'vint']);

export class NodixWriter implements NodeSink {
  readonly #frames: Frame[] = [];
  #text = '';

  /** `path` names the exported node in messages. */
  constructor(private readonly path: string) {}

  /** The text written since the last call. */
  take(): string {
    const text = this.#text;
    this.#text = '';
    return text;
  }

  open(name: string | undefined, type: PlanType): void {
    const parent = this.#frames[this.#frames.length - 1];
    if (parent === undefined) {
      if (type !== 'object') {
        throw new Error(`a Nodix script holds definitions, so only an object exports to it, and ${this.#where()} is a ${this.#typeLabel(type)}: export the object that holds it, or use --format typed`);
      }
      this.#frames.push({ kind: 'script', path: this.path, first: true });
      return;
    }
    const path = this.#childPath(parent, name);
    const json = this.#containerJson(type, path);
    // object and list are what a JSON object and array become unannotated; a definition always names its type
    const plain = type === 'object' || type === 'list';
    this.#begin(parent, name, path, plain && parent.kind !== 'script' ? undefined : this.#annotation(type, path));
    if (parent.kind === 'script') this.#text += '`';
    this.#text += json === 'object' ? '{' : '[';
    this.#frames.push({ kind: json, path, first: true });
  }

  leaf(name: string | undefined, type: PlanType, value: LeafValue): void {
    const parent = this.#frames[this.#frames.length - 1];
    if (parent === undefined) {
      throw new Error(`a Nodix script holds definitions, so only an object exports to it, and ${this.#where()} is a ${this.#typeLabel(type)}: export the object that holds it, or use --format typed`);
    }
    const path = this.#childPath(parent, name);
    if (!isTypeName(type)) throw new Error(`${path} is a ${this.#typeLabel(type)} without children, which Nodix cannot write`);
    const annotation = this.#annotation(type, path);
    const text = valueText(value, type, path);
    const needed = parent.kind === 'script' || defaultType(text) !== type ? annotation : undefined;
    if (needed !== undefined && parent.kind === 'array') {
      throw new Error(`${path} is a ${type}, and a Nodix array cannot say the type of its items: use --format typed`);
    }
    this.#begin(parent, name, path, needed);
    // a definition's number or string stands bare after the '=', as Nodix scripts write them
    const bare = parent.kind !== 'script' || /^[-"0-9]/.test(text);
    this.#text += bare ? text : `\`${text}\``;
    if (parent.kind === 'script') this.#text += '\n';
  }

  close(): void {
    const frame = this.#frames.pop()!;
    if (frame.kind === 'script') return;
    this.#text += frame.kind === 'object' ? '}' : ']';
    if (this.#frames[this.#frames.length - 1]?.kind === 'script') this.#text += '`\n';
  }

  /** Writes what comes before a child's value: a definition's head, or a member's annotation and key. */
  #begin(parent: Frame, name: string | undefined, path: string, annotation: string | undefined): void {
    if (parent.kind === 'script') {
      if (name === undefined || !IDENTIFIER.test(name)) {
        throw new Error(`${path}: a Nodix definition's name is letters, digits and "_", not ${JSON.stringify(name ?? '')}: rename it, or use --format typed`);
      }
      this.#text += `let ${annotation} ${name} = `;
      return;
    }
    if (!parent.first) this.#text += ',';
    parent.first = false;
    if (parent.kind === 'object') this.#text += `${annotation === undefined ? '' : `(${annotation})`}${JSON.stringify(name ?? '')}:`;
  }

  /** The JSON a structured node is written as. */
  #containerJson(type: PlanType, path: string): 'object' | 'array' {
    if (type === 'object') return 'object';
    if (type === 'list') return 'array';
    return this.#record(type, path).json;
  }

  #annotation(type: PlanType, path: string): string {
    if (type === 'object') return 'NODE_GFX_OBJECT';
    if (type === 'list') return 'NODE_JSON_ARRAY';
    if (!isTypeName(type)) return this.#record(type, path).name;
    const name = nodixNameOf(type);
    if (name === undefined) throw new Error(`${path} is a ${type}, which has no Nodix type: use --format typed`);
    return name;
  }

  #record(type: PlanType, path: string): NodixRecord {
    const record = isTypeName(type) ? undefined : nodixRecordOf(Number.parseInt(type, 16));
    if (record === undefined) throw new Error(`${path} is a ${this.#typeLabel(type)}, which has no Nodix type: use --format typed`);
    return record;
  }

  #typeLabel(type: PlanType): string {
    return isTypeName(type) ? type : (nodixRecordOf(Number.parseInt(type, 16))?.name ?? `type ${applicationTypeId(Number.parseInt(type, 16))}`);
  }

  #childPath(parent: Frame, name: string | undefined): string {
    return `${parent.path === '' ? '' : `${parent.path}/`}${name ?? '(item)'}`;
  }

  #where(): string {
    return this.path === '' ? 'the root' : this.path;
  }
}

/** The type the Nodix import gives a value written as `text` without an annotation. */
function defaultType(text: string): TypeName {
  if (text.startsWith('"')) return 'str';
  if (text === 'true' || text === 'false') return 'bool';
  if (text === 'null') return 'null';
  if (text.startsWith('[')) return 'list';
  if (/^-?\d+$/.test(text)) return text.startsWith('-') && text !== '-0' ? 'i64' : 'u64';
  return 'f32';
}

/** A leaf's value as Nodix JSON. */
function valueText(value: LeafValue, type: TypeName, path: string): string {
  if (type === 'bytes') return JSON.stringify(Buffer.from(value as Uint8Array).toString('hex'));
  if (FLOAT_TYPES.has(type)) return floatText(value as number, type, path);
  if (INTEGER_TYPES.has(type)) return String(value);
  const json = plainJsonValue(value, type);
  if (Array.isArray(json)) {
    if (json.some((x) => typeof x !== 'number')) throw new Error(`${path}: a ${type} with a non-finite number has no Nodix form: use --format typed`);
    // JSON.stringify writes -0 as 0: the sign is part of the value
    return `[${(json as number[]).map((x) => (Object.is(x, -0) ? '-0' : JSON.stringify(x))).join(',')}]`;
  }
  return JSON.stringify(json);
}

/** A float with a fraction or an exponent, so that it reads back as a real. */
function floatText(x: number, type: TypeName, path: string): string {
  if (!Number.isFinite(x)) throw new Error(`${path} is ${x}, which Nodix cannot write: use --format typed`);
  if (Object.is(x, -0)) return '-0.0';
  const text = String(plainJsonValue(x, type));
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}
