// The tree.* methods of DESIGN's JSON-RPC table. Each is defined once: its params schema
// validates at the boundary and documents it in rpc.discover. Writes run inside the change
// hub, so each call (a transaction too) is one change event with the caller as origin.
// Why this file is over 400 lines: the table of the tree.* methods, one entry each with its
// schema, is most of it; the engines behind them have files of their own (transaction.ts,
// find.ts, slices.ts).
import { createHash } from 'node:crypto';

import { type Identity, writeOps } from '../../auth/index.js';
import { parsePath } from '../../paths.js';
import { stringifyExact } from '../../codec/exactJson.js';
import { planText } from '../../codec/import.js';
import { leafFromJson, plainJsonValue } from '../../codec/jsonValues.js';
import { PlanError } from '../../codec/plan.js';
import { GroveError } from '../../errors.js';
import type { Node } from '../../node.js';
import { type MethodDefinition, type RpcContext, ErrorCode, RawJson, RpcError } from '../../rpc/index.js';
import { isTypeName, type TreeValue, TYPE_IDS, type TypeName } from '../../types.js';
import type { StationContext } from '../context.js';
import { exportPieces } from '../export.js';
import { typedNodes } from '../typedNodes.js';
import { COMPARE_OPS, find, type FindParams } from './find.js';
import { inSlices, large } from './slices.js';
import { allOrNone, inOp, type TransactionOp } from './transaction.js';

export const path = { type: 'string', maxLength: 16_640, description: 'Names joined by "/"; "" is the root.' };
const version = { type: 'integer', minimum: 0 };
const anyValue = { description: 'Any JSON value.' };
const typeName = { type: 'string', description: 'A type name: a built-in one or a registered abstract type.' };
const signature = {
  type: 'object',
  description: 'Required for writes to a subtree owned by a public key: { nonce, sig } over method, params and nonce.',
};
const versionResult = { type: 'object', properties: { version }, required: ['version'] };
const minVersion = {
  type: 'integer',
  minimum: 0,
  description: "Read only once this station's copy includes this version of the path's owner (a version a write returned).",
};

type WriteAccess = 'read' | 'write';

export interface TreeMethod<P> {
  name: string;
  summary: string;
  access: WriteAccess;
  params: Record<string, object>;
  required: readonly string[];
  result: object;
  run(params: P, call: Call): unknown;
}

/** Types one method's params at its definition. */
export function method<P>(definition: TreeMethod<P>): TreeMethod<P> {
  return definition;
}

/** What a handler gets besides its params: the station and who is calling. */
export interface Call {
  station: StationContext;
  origin: string;
  identity: Identity;
  context: RpcContext;
}

export function treeMethods(station: StationContext): MethodDefinition[] {
  return TREE_METHODS.map((method) => define(station, method));
}

/** Wraps a method with the station's checks: authentication, path rules, signatures, limits. */
export function define(station: StationContext, method: TreeMethod<any>): MethodDefinition {
  const params = { ...method.params, ...(method.access === 'write' ? { signature } : { minVersion }) };
  return {
    name: method.name,
    summary: method.summary,
    params: { type: 'object', properties: params, required: [...method.required], additionalProperties: false },
    result: method.result,
    handler: (raw: Record<string, unknown>, context: RpcContext) => {
      // who calls, and whether they may, comes first: a stranger learns nothing of the cluster
      const identity = station.identify(context);
      const call: Call = { station, origin: identity.name, identity, context };
      if (method.access === 'read') {
        const at = normalise(station, String(raw.path ?? ''));
        station.auth.check(identity, 'read', at);
        if (raw.minVersion === undefined) return method.run(raw, call);
        return reached(station, at, raw.minVersion as number).then(() => method.run(raw, call));
      }
      for (const op of writeOps(method.name, raw)) station.auth.check(identity, 'write', op.path);
      // the signature's nonce is taken in the write, so that both are one record: durable together
      const run = () =>
        station.hub.write(call.origin, () => {
          station.auth.verifyWrite({ method: method.name, params: raw });
          return method.run(raw, call);
        });
      return station.cluster ? station.cluster.route(method.name, raw, context, run) : run();
    },
  };
}

/**
 * Resolves once this station's copy of `path` includes version `version` of its owner: in
 * a cluster, once replication got that far; alone, at once (or a conflict, for a version
 * this station never reached).
 */
async function reached(station: StationContext, path: string, version: number): Promise<void> {
  if (station.cluster) return station.cluster.reached(path, version);
  station.hub.assertReached(version, path);
}

/**
 * A path as every method reads it, written or read alike (parsePath: without its leading
 * '/', refused when a name in it is empty, "." or ".." or one no node may have), and checked
 * against the path depth limit.
 */
export function normalise(station: StationContext, raw: string): string {
  const path = parsePath(raw);
  let depth = path === '' ? 0 : 1;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) depth++;
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
  throw new GroveError('INVALID_ARGUMENT', `unknown type "${name}": use one of ${Object.keys(TYPE_IDS).join(', ')} or a registered type`);
}

function leafType(type: TypeName | number | undefined): TypeName | undefined {
  return typeof type === 'string' ? type : undefined;
}

/**
 * A value arriving as a JSON-RPC param, as the tree takes it. Without a type, plain JSON's
 * inference applies (DESIGN "Wire formats"); with a leaf type, its plain encodings are read
 * back (src/codec/jsonValues.ts): decimal strings for 64-bit integers, base64 for bytes,
 * "NaN", "Infinity", "-Infinity", "-0" for floats, arrays for vectors.
 */
function decodeValue(value: unknown, type: TypeName | undefined, path: string): TreeValue {
  if (type === undefined || type === 'object' || type === 'list') return value as TreeValue;
  return leafFromJson(value, type, path);
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

/** Names in a path. */
function depthOf(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}

/**
 * A value about to be written as the node at depth `depth` (under `path`), checked against
 * the limits: every string within maxStringBytes, and every node it makes within
 * maxPathDepth, so that each stays reachable by a path.
 */
function checkValue(station: StationContext, path: string, value: unknown, format = 'plain', depth = depthOf(path)): void {
  const { maxStringBytes, maxPathDepth } = station.limits;
  const pending: Array<{ item: unknown; depth: number }> = [{ item: value, depth }];
  const below = (items: unknown[], depth: number) => {
    if (items.length > 0 && depth + 1 > maxPathDepth) {
      const message = `the value written at "${path}" makes nodes deeper than ${maxPathDepth} names (maxPathDepth)`;
      throw new GroveError('LIMIT_EXCEEDED', message, path);
    }
    for (const item of items) pending.push({ item, depth: depth + 1 });
  };
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { item, depth } = next;
    if (typeof item === 'string') {
      if (item.length > maxStringBytes / 3 && Buffer.byteLength(item) > maxStringBytes) {
        throw new GroveError('LIMIT_EXCEEDED', `a string under "${path}" is longer than ${maxStringBytes} bytes (maxStringBytes)`, path);
      }
    } else if (item !== null && typeof item === 'object') {
      if (format === 'plain') {
        below(Object.values(item), depth);
      } else {
        // a typed node: its own fields at its depth, the items of "children" one below
        const { children, ...fields } = item as Record<string, unknown>;
        for (const field of Object.values(fields)) pending.push({ item: field, depth });
        if (Array.isArray(children)) below(children, depth);
      }
    }
  }
}

export function nodeAt<T>(station: StationContext, path: string, use: (node: Node) => T): T {
  const node = station.tree.node(path);
  try {
    return use(node);
  } finally {
    node.release();
  }
}

function setAt(station: StationContext, path: string, value: unknown, type: string | undefined, format = 'plain'): number {
  checkValue(station, path, value, format);
  if (path === '') return replaceRoot(station, value, type, format);
  if (format === 'typed') return importing(path, () => station.tree.importJSON(path, stringifyExact(value), { format: 'typed' })).version;
  const resolved = typeOf(station, type);
  return station.tree.set(path, decodeValue(value, leafType(resolved), path), resolved);
}

/** tree.set at "": the root's children become the value's members, nothing else. */
function replaceRoot(station: StationContext, value: unknown, type: string | undefined, format: string): number {
  if (type !== undefined && type !== 'object') {
    throw new GroveError('TYPE_MISMATCH', `the root is an object, not a ${type}: set a path under it`, '');
  }
  const text = stringifyExact(value);
  return importing('', () => station.tree.importJSON('', text, { format: format === 'typed' ? 'typed' : 'plain', replace: true })).version;
}

/** Runs an import; a document the import refuses is the caller's mistake (-32602), not the station's. */
function importing<T>(path: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof PlanError) throw new GroveError(err.code, `cannot write the value at "${path}": ${err.message}`, path);
    throw err;
  }
}

interface TransactParams {
  ops: { method: string; params: Record<string, unknown> }[];
  ifVersions?: Record<string, number>;
}

export const TRANSACTABLE = ['tree.set', 'tree.patch', 'tree.add', 'tree.delete', 'tree.sort', 'tree.increment', 'tree.cas'];

interface PreparedOp extends TransactionOp {
  readonly method: TreeMethod<any>;
}

/**
 * Applies the ops in order, all or none (the rehearsal: ./transaction.ts). An op's ifVersion,
 * like ifVersions, is checked against the tree as it was before the transaction.
 */
function transact(p: TransactParams, call: Call) {
  const { station } = call;
  for (const [at, expected] of Object.entries(p.ifVersions ?? {})) checkVersion(station, normalise(station, at), expected);
  const ops = p.ops.map((op, index) => inOp(index, op.method, () => prepare(station, op)));
  allOrNone(station.tree, ops, ({ method, params }, tree) => method.run(params, tree === station.tree ? call : { ...call, station: { ...station, tree } }));
  return { version: station.tree.version };
}

/** An op's params as its method takes them (the schema of ops admits only TRANSACTABLE methods). */
function prepare(station: StationContext, op: TransactParams['ops'][number]): PreparedOp {
  const { ifVersion, ...params } = station.engine.validate(op.method, op.params);
  const path = normalise(station, String(params.path));
  checkVersion(station, path, ifVersion as number | undefined);
  return { method: METHODS_BY_NAME.get(op.method)!, params, path };
}

const TREE_METHODS: TreeMethod<any>[] = [
  method({
    name: 'tree.get',
    summary: 'The value or subtree at a path: plain JSON, or typed JSON with every node\'s type.',
    access: 'read',
    params: { path, depth: { type: 'integer', minimum: 0 }, format: { enum: ['plain', 'typed'] } },
    required: ['path'],
    result: anyValue,
    run: (p: { path: string; depth?: number; format?: 'plain' | 'typed' }, { station }: Call) => {
      const at = normalise(station, p.path);
      const format = p.format ?? 'plain';
      const { depth } = p;
      return large(station, at, (node, size) => inSlices(exportPieces(node, format === 'typed', { size, depth }), (pieces) => new RawJson(pieces.join(''))))
        ?? new RawJson(station.tree.exportJSON(at, format, depth));
    },
  }),
  method({
    name: 'tree.list',
    summary: 'One page of a node\'s children: name, type, id, child count and version of each; and the node\'s own type and version.',
    access: 'read',
    params: { path, offset: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 0, maximum: 10_000 } },
    required: ['path'],
    result: {
      type: 'object',
      properties: { total: { type: 'integer' }, type: { type: 'string' }, version, children: { type: 'array' } },
      required: ['total', 'type', 'version', 'children'],
    },
    run: (p: { path: string; offset?: number; limit?: number }, { station }: Call) =>
      nodeAt(station, normalise(station, p.path), (node) => ({ ...node.list(p.offset ?? 0, p.limit ?? 100), type: node.type, version: node.version })),
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
    run: (p: { path: string; value: Record<string, TreeValue> }, { station }: Call) => {
      const at = normalise(station, p.path);
      checkValue(station, at, p.value);
      // the whole value is checked first, so that a bad member fails before any is written
      importing(at, () => planText(stringifyExact(p.value), 'plain'));
      for (const [name, member] of Object.entries(p.value)) station.tree.set(at === '' ? name : `${at}/${name}`, member);
      return { version: station.tree.version };
    },
  }),
  method({
    name: 'tree.add',
    summary: 'Adds a child under a path; its name is generated when none is given.',
    access: 'write',
    params: { path, value: anyValue, name: { type: 'string', minLength: 1 }, type: typeName, format: { enum: ['plain', 'typed'] } },
    required: ['path', 'value'],
    result: { type: 'object', properties: { name: { type: 'string' }, id: { type: 'integer' }, version }, required: ['name', 'id', 'version'] },
    run: (p: { path: string; value: unknown; name?: string; type?: string; format?: string }, { station }: Call) => {
      const at = normalise(station, p.path);
      checkValue(station, at, p.value, p.format, depthOf(at) + 1);
      // built detached first, so that a bad name or value fails before anything changes; a
      // missing parent is made with the first, in the same change. Typed: one typed node, or
      // an array of them appended in order (the result names the last)
      const type = p.format === 'typed' ? undefined : typeOf(station, p.type);
      const children = p.format === 'typed'
        ? importing(at, () => typedNodes(station.tree, p.value, p.name, p.type))
        : [station.tree.createNode(p.name, type, decodeValue(p.value, leafType(type), at))];
      try {
        let version = 0;
        for (const child of children) version = station.tree.append(at, child);
        const last = children[children.length - 1]!;
        return { name: last.name, id: last.id, version };
      } finally {
        for (const child of children) child.release();
      }
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
    run: (p: FindParams, { station }: Call) =>
      find(station.tree, { ...p, path: normalise(station, p.path) }, p.type === undefined ? undefined : typeOf(station, p.type)),
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
      const by = typeof p.by === 'string' ? (leafFromJson(p.by, 'i64', at) as bigint) : (p.by ?? 1);
      return plainJsonValue(nodeAt(station, at, (node) => node.increment(by)));
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
      checkValue(station, at, p.value);
      return nodeAt(station, at, (node) => {
        const type = isTypeName(node.type) ? node.type : undefined;
        if (type === undefined) throw new GroveError('TYPE_MISMATCH', `"${at}" is a ${node.type} node and holds no value`, at);
        const outcome = node.compareAndSet(leafFromJson(p.expect, type, at), leafFromJson(p.value, type, at));
        return { ok: outcome.ok, value: plainJsonValue(outcome.value) };
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

/**
 * The documented content hash: SHA-256 over the typed JSON the station exports (which is
 * exact and deterministic), with the node's own name emptied so that the hash is of its
 * content, not of where it sits.
 */
export function contentHash(station: StationContext, path: string): string | Promise<string> {
  return (
    large(station, path, (node, size) => {
      const hash = createHash('sha256');
      return inSlices(exportPieces(node, true, { size, name: '' }), () => hash.digest('hex'), (piece) => hash.update(piece));
    }) ?? nodeAt(station, path, (node) => node.hash())
  );
}
