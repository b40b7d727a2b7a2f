// The tree.* methods of DESIGN's JSON-RPC table. Each is defined once: its params schema
// validates at the boundary and documents it in rpc.discover. Writes run inside the change
// hub, so each call (a transaction too) is one change event with the caller as origin.
import { createHash } from 'node:crypto';

import { GroveError } from '../../errors.js';
import type { CompareOp, Node } from '../../node.js';
import { type MethodDefinition, type RpcContext, ErrorCode, RpcError } from '../../rpc/index.js';
import { isTypeName, type JsonValue, type LeafValue, queryIdOf, type TypeName, typeMatches } from '../../types.js';
import { writeOps } from '../auth.js';
import type { StationContext } from '../context.js';
import { leafToJson } from '../wire.js';
import { decodeLeaf, decodeValue } from '../values.js';

const TYPE_NAMES = ['null', 'bool', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'f32', 'f64', 'str', 'bytes', 'object', 'list'];

const path = { type: 'string', maxLength: 16_640, description: 'Names joined by "/"; "" is the root.' };
const version = { type: 'integer', minimum: 0 };
const anyValue = { description: 'Any JSON value.' };
const typeName = { type: 'string', description: 'A type name: a built-in one or a registered abstract type.' };
const signature = {
  type: 'object',
  description: 'Required for writes to a subtree owned by a public key: { nonce, sig } over method, params and nonce.',
};
const versionResult = { type: 'object', properties: { version }, required: ['version'] };

type WriteAccess = 'read' | 'write';

interface TreeMethod<P> {
  name: string;
  summary: string;
  access: WriteAccess;
  params: Record<string, object>;
  required: readonly string[];
  result: object;
  run(params: P, call: Call): unknown;
}

/** Types one method's params at its definition. */
function method<P>(definition: TreeMethod<P>): TreeMethod<P> {
  return definition;
}

/** What a handler gets besides its params: the station and who is calling. */
export interface Call {
  station: StationContext;
  origin: string;
  context: RpcContext;
}

export function treeMethods(station: StationContext): MethodDefinition[] {
  return TREE_METHODS.map((method) => define(station, method));
}

/** Wraps a method with the station's checks: authentication, path rules, signatures, limits. */
function define(station: StationContext, method: TreeMethod<any>): MethodDefinition {
  const params = { ...method.params, ...(method.access === 'write' ? { signature } : {}) };
  return {
    name: method.name,
    summary: method.summary,
    params: { type: 'object', properties: params, required: [...method.required], additionalProperties: false },
    result: method.result,
    handler: (raw: Record<string, unknown>, context: RpcContext) => {
      const identity = station.auth.authenticate(context.token);
      if (method.access === 'read') {
        station.auth.check(identity, 'read', normalise(station, String(raw.path ?? '')));
      } else {
        for (const op of writeOps(method.name, raw)) station.auth.check(identity, 'write', op.path);
        station.auth.verifyWrite({ method: method.name, params: raw });
      }
      const call: Call = { station, origin: identity.token === undefined ? context.connectionId : identity.name, context };
      if (method.access === 'read') return method.run(raw, call);
      return station.hub.write(call.origin, () => method.run(raw, call));
    },
  };
}

/** A path without its leading '/', checked against the path depth limit. */
export function normalise(station: StationContext, raw: string): string {
  const path = raw.startsWith('/') ? raw.slice(1) : raw;
  const depth = path === '' ? 0 : path.split('/').length;
  if (depth > station.limits.maxPathDepth) {
    throw new GroveError(
      'LIMIT_EXCEEDED',
      `path "${path.slice(0, 80)}..." is ${depth} names deep; the limit (maxPathDepth) is ${station.limits.maxPathDepth}`,
      path,
    );
  }
  return path;
}

function typeOf(station: StationContext, name: string | undefined): TypeName | number | undefined {
  if (name === undefined || isTypeName(name)) return name;
  const registered = station.types.byName(name);
  if (registered) return registered.id;
  throw new GroveError('INVALID_ARGUMENT', `unknown type "${name}": use one of ${TYPE_NAMES.join(', ')} or a registered type`);
}

function leafType(type: TypeName | number | undefined): TypeName | undefined {
  return typeof type === 'string' ? type : undefined;
}

function checkVersion(station: StationContext, path: string, expected: number | undefined): void {
  if (expected === undefined) return;
  const node = station.tree.tryNode(path);
  const current = node?.version ?? 0;
  node?.release();
  if (current !== expected) {
    throw new RpcError(
      ErrorCode.VersionConflict,
      `"${path}" is at version ${current}, not ${expected}: read it again and retry with the new version`,
      { path, version: current },
    );
  }
}

/** Every string in a value, checked against the string size limit. */
function checkStrings(station: StationContext, value: unknown, path: string): void {
  const limit = station.limits.maxStringBytes;
  const pending = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.length > limit / 3 && Buffer.byteLength(item) > limit) {
        throw new GroveError('LIMIT_EXCEEDED', `a string under "${path}" is longer than ${limit} bytes (maxStringBytes)`, path);
      }
    } else if (item !== null && typeof item === 'object') {
      pending.push(...Object.values(item));
    }
  }
}

function nodeAt<T>(station: StationContext, path: string, use: (node: Node) => T): T {
  const node = station.tree.node(path);
  try {
    return use(node);
  } finally {
    node.release();
  }
}

function setAt(station: StationContext, path: string, value: unknown, type: string | undefined, format: string | undefined): number {
  checkStrings(station, value, path);
  if (format === 'typed') return station.tree.importJSON(path, JSON.stringify(value), { format: 'typed' }).version;
  if (path === '') return replaceRoot(station, value);
  const resolved = typeOf(station, type);
  return station.tree.set(path, decodeValue(value, leafType(resolved), path), resolved);
}

/** tree.set at "": the root's children become the value's members, nothing else. */
function replaceRoot(station: StationContext, value: unknown): number {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GroveError('TYPE_MISMATCH', 'the root is an object: set it to an object, or set a path under it', '');
  }
  const keep = new Set(Object.keys(value));
  for (const child of station.tree.root.list(0, Number.MAX_SAFE_INTEGER).children) {
    if (!keep.has(child.name)) station.tree.delete(child.name);
  }
  for (const [name, member] of Object.entries(value)) station.tree.set(name, member);
  return station.tree.version;
}

const COMPARE_OPS = ['=', '!=', '<', '>', '<=', '>='];

interface FindParams {
  path: string;
  type?: string;
  where?: { member: string; op: CompareOp; value: unknown };
  orderBy?: string;
  descending?: boolean;
  limit?: number;
}

function find(station: StationContext, p: FindParams) {
  const type = p.type === undefined ? undefined : typeOf(station, p.type);
  return nodeAt(station, p.path, (parent) => {
    const limit = p.orderBy === undefined ? p.limit : undefined;
    const matches = p.where
      ? parent.find({ member: p.where.member, op: p.where.op, value: p.where.value as LeafValue, type, limit })
      : parent.children().filter((child) => type === undefined || typeMatches(child.typeId, queryIdOf(type, 'tree.find')) || releaseFalse(child));
    try {
      let rows = matches.map((child) => ({
        name: child.name,
        id: child.id,
        type: child.type as string,
        value: child.toJSON() as JsonValue,
        key: p.orderBy === undefined ? undefined : memberValue(child, p.orderBy),
      }));
      if (p.orderBy !== undefined) {
        rows.sort((a, b) => compareKeys(a.key, b.key) * (p.descending ? -1 : 1));
        rows = rows.slice(0, p.limit ?? rows.length);
      }
      return rows.map(({ key: _key, ...row }) => row);
    } finally {
      for (const child of matches) child.release();
    }
  });
}

function releaseFalse(node: Node): false {
  node.release();
  return false;
}

function memberValue(child: Node, member: string): JsonValue | undefined {
  const node = child.child(member);
  if (node === undefined) return undefined;
  try {
    return node.toJSON();
  } finally {
    node.release();
  }
}

/** Children lacking the member last; then numbers, then strings, then the rest as JSON text. */
function compareKeys(a: JsonValue | undefined, b: JsonValue | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const rank = (v: JsonValue) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  return rank(a) - rank(b) || JSON.stringify(a).localeCompare(JSON.stringify(b));
}

interface TransactParams {
  ops: { method: string; params: Record<string, unknown> }[];
  ifVersions?: Record<string, number>;
}

export const TRANSACTABLE = ['tree.set', 'tree.patch', 'tree.add', 'tree.delete', 'tree.sort', 'tree.increment', 'tree.cas'];

/**
 * Applies the ops in order; if one fails, the ones before it are undone (from typed
 * exports taken before each op) and the error is reported with the op's index.
 */
function transact(p: TransactParams, call: Call) {
  const { station } = call;
  for (const [at, expected] of Object.entries(p.ifVersions ?? {})) checkVersion(station, normalise(station, at), expected);
  const ops = p.ops.map((op, index) => {
    if (!TRANSACTABLE.includes(op.method)) {
      throw new GroveError('INVALID_ARGUMENT', `ops[${index}]: ${op.method} cannot be part of a transaction (${TRANSACTABLE.join(', ')} can)`);
    }
    const params = station.engine.validate(op.method, op.params);
    return { method: METHODS_BY_NAME.get(op.method)!, params, index };
  });
  const undo: { path: string; typed: string | undefined }[] = [];
  let current = 0;
  try {
    for (; current < ops.length; current++) {
      const { method, params } = ops[current]!;
      undo.push(undoPoint(station, normalise(station, String(params.path))));
      method.run(params, call);
    }
  } catch (err) {
    for (const { path, typed } of undo.reverse()) {
      if (path === '') for (const child of station.tree.root.list(0, Number.MAX_SAFE_INTEGER).children) station.tree.delete(child.name);
      if (typed !== undefined) station.tree.importJSON(path, typed, { format: 'typed' });
      else if (exists(station, path)) station.tree.delete(path);
    }
    if (err instanceof Error) err.message = `ops[${current}] (${ops[current]!.method.name}) failed, nothing was applied: ${err.message}`;
    throw err;
  }
  return { version: station.tree.version };
}

/**
 * What undoes a write at `path`: its subtree as typed JSON, or, when the path does not
 * exist yet, the topmost name the write will create (to delete, with what it created).
 */
function undoPoint(station: StationContext, path: string): { path: string; typed: string | undefined } {
  if (path === '') return { path, typed: station.tree.exportJSON('', 'typed') };
  const names = path.split('/');
  for (let depth = 1; depth <= names.length; depth++) {
    const prefix = names.slice(0, depth).join('/');
    if (!exists(station, prefix)) return { path: prefix, typed: undefined };
  }
  return { path, typed: station.tree.exportJSON(path, 'typed') };
}

function exists(station: StationContext, path: string): boolean {
  const node = station.tree.tryNode(path);
  node?.release();
  return node !== undefined;
}

const TREE_METHODS: TreeMethod<any>[] = [
  method({
    name: 'tree.get',
    summary: 'The value or subtree at a path: plain JSON, or typed JSON with every node\'s type.',
    access: 'read',
    params: { path, depth: { type: 'integer', minimum: 0 }, format: { enum: ['plain', 'typed'] } },
    required: ['path'],
    result: anyValue,
    run: (p: { path: string; depth?: number; format?: 'plain' | 'typed' }, { station }: Call) =>
      station.tree.get(normalise(station, p.path), { depth: p.depth, format: p.format }),
  }),
  method({
    name: 'tree.list',
    summary: 'One page of a node\'s children: name, type, id and child count of each.',
    access: 'read',
    params: { path, offset: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 0, maximum: 10_000 } },
    required: ['path'],
    result: { type: 'object', properties: { total: { type: 'integer' }, children: { type: 'array' } }, required: ['total', 'children'] },
    run: (p: { path: string; offset?: number; limit?: number }, { station }: Call) =>
      nodeAt(station, normalise(station, p.path), (node) => node.list(p.offset ?? 0, p.limit ?? 100)),
  }),
  method({
    name: 'tree.set',
    summary: 'Replaces the subtree at a path (missing parents are created as objects).',
    access: 'write',
    params: { path, value: anyValue, type: typeName, ifVersion: version, format: { enum: ['plain', 'typed'] } },
    required: ['path', 'value'],
    result: versionResult,
    run: (p: { path: string; value: unknown; type?: string; ifVersion?: number; format?: string }, { station }: Call) => {
      const at = normalise(station, p.path);
      checkVersion(station, at, p.ifVersion);
      return { version: setAt(station, at, p.value, p.type, p.format) };
    },
  }),
  method({
    name: 'tree.patch',
    summary: 'Sets each member of an object under a path, leaving other children as they are.',
    access: 'write',
    params: { path, value: { type: 'object' } },
    required: ['path', 'value'],
    result: versionResult,
    run: (p: { path: string; value: Record<string, unknown> }, { station }: Call) => {
      const at = normalise(station, p.path);
      for (const [name, member] of Object.entries(p.value)) setAt(station, at === '' ? name : `${at}/${name}`, member, undefined, undefined);
      return { version: station.tree.version };
    },
  }),
  method({
    name: 'tree.add',
    summary: 'Adds a child under a path; its name is generated when none is given.',
    access: 'write',
    params: { path, value: anyValue, name: { type: 'string', minLength: 1 }, type: typeName },
    required: ['path', 'value'],
    result: { type: 'object', properties: { name: { type: 'string' }, id: { type: 'integer' }, version }, required: ['name', 'id', 'version'] },
    run: (p: { path: string; value: unknown; name?: string; type?: string }, { station }: Call) => {
      const at = normalise(station, p.path);
      checkStrings(station, p.value, at);
      if (at !== '' && station.tree.tryNode(at) === undefined) station.tree.set(at, {});
      const type = typeOf(station, p.type) ?? inferType(p.value);
      return nodeAt(station, at, (parent) => {
        const child = parent.add(p.name, type, decodeValue(p.value, leafType(type), at));
        try {
          return { name: child.name, id: child.id, version: child.version };
        } finally {
          child.release();
        }
      });
    },
  }),
  method({
    name: 'tree.delete',
    summary: 'Removes the node at a path and everything under it.',
    access: 'write',
    params: { path, ifVersion: version },
    required: ['path'],
    result: versionResult,
    run: (p: { path: string; ifVersion?: number }, { station }: Call) => {
      const at = normalise(station, p.path);
      checkVersion(station, at, p.ifVersion);
      return { version: station.tree.delete(at) };
    },
  }),
  method({
    name: 'tree.find',
    summary: 'The children of a node that match a type and a condition on a member, optionally ordered.',
    access: 'read',
    params: {
      path,
      type: typeName,
      where: {
        type: 'object',
        properties: { member: { type: 'string', minLength: 1 }, op: { enum: COMPARE_OPS }, value: anyValue },
        required: ['member', 'op', 'value'],
        additionalProperties: false,
      },
      orderBy: { type: 'string', minLength: 1 },
      descending: { type: 'boolean' },
      limit: { type: 'integer', minimum: 0, maximum: 10_000 },
    },
    required: ['path'],
    result: { type: 'array' },
    run: (p: FindParams, { station }: Call) => find(station, { ...p, path: normalise(station, p.path) }),
  }),
  method({
    name: 'tree.sort',
    summary: 'Sorts a node\'s children by the value of a member.',
    access: 'write',
    params: { path, member: { type: 'string', minLength: 1 }, descending: { type: 'boolean' } },
    required: ['path', 'member'],
    result: versionResult,
    run: (p: { path: string; member: string; descending?: boolean }, { station }: Call) =>
      ({ version: nodeAt(station, normalise(station, p.path), (node) => node.sort(p.member, p.descending ?? false)) }),
  }),
  method({
    name: 'tree.increment',
    summary: 'Adds to an integer or float leaf in one atomic step; returns the new value.',
    access: 'write',
    params: { path, by: { type: ['number', 'string'] } },
    required: ['path'],
    result: anyValue,
    run: (p: { path: string; by?: number | string }, { station }: Call) => {
      const at = normalise(station, p.path);
      const by = typeof p.by === 'string' ? (decodeLeaf(p.by, 'i64', at) as bigint) : (p.by ?? 1);
      return leafToJson(nodeAt(station, at, (node) => node.increment(by)));
    },
  }),
  method({
    name: 'tree.cas',
    summary: 'Writes a leaf only if it holds the expected value; returns whether it did and the value now.',
    access: 'write',
    params: { path, expect: anyValue, value: anyValue },
    required: ['path', 'expect', 'value'],
    result: { type: 'object', properties: { ok: { type: 'boolean' }, value: anyValue }, required: ['ok', 'value'] },
    run: (p: { path: string; expect: unknown; value: unknown }, { station }: Call) => {
      const at = normalise(station, p.path);
      return nodeAt(station, at, (node) => {
        const type = isTypeName(node.type) ? node.type : undefined;
        if (type === undefined) throw new GroveError('TYPE_MISMATCH', `"${at}" is a ${node.type} node and holds no value`, at);
        const outcome = node.compareAndSet(decodeLeaf(p.expect, type, at), decodeLeaf(p.value, type, at));
        return { ok: outcome.ok, value: leafToJson(outcome.value) };
      });
    },
  }),
  method({
    name: 'tree.transact',
    summary: 'Applies a list of writes all together, or none of them.',
    access: 'write',
    params: {
      ops: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          type: 'object',
          properties: { method: { enum: TRANSACTABLE }, params: { type: 'object' } },
          required: ['method', 'params'],
          additionalProperties: false,
        },
      },
      ifVersions: { type: 'object', additionalProperties: version },
    },
    required: ['ops'],
    result: versionResult,
    run: transact,
  }),
  method({
    name: 'tree.hash',
    summary: 'The SHA-256 (hex) of the subtree\'s typed JSON export with its own name left out.',
    access: 'read',
    params: { path },
    required: ['path'],
    result: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    run: (p: { path: string }, { station }: Call) => contentHash(station, normalise(station, p.path)),
  }),
];

const METHODS_BY_NAME = new Map(TREE_METHODS.map((m) => [m.name, m]));

function inferType(value: unknown): TypeName {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'object':
      return 'object';
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'i64' : 'f64';
    default:
      throw new GroveError('INVALID_ARGUMENT', `cannot store a ${typeof value}`);
  }
}

/**
 * The documented content hash: SHA-256 over the typed JSON the station exports (which is
 * exact and deterministic), with the node's own name emptied so that the hash is of its
 * content, not of where it sits.
 */
export function contentHash(station: StationContext, path: string): string {
  const typed = station.tree.exportJSON(path, 'typed');
  const name = path === '' ? '' : path.slice(path.lastIndexOf('/') + 1);
  const unnamed = '{"name":""' + typed.slice('{"name":'.length + JSON.stringify(name).length);
  return createHash('sha256').update(unnamed).digest('hex');
}
