// The tree.* methods of DESIGN's JSON-RPC table. Each is defined once: its params schema
// validates at the boundary and documents it in rpc.discover. Writes run inside the change
// hub, so each call (a transaction too) is one change event with the caller as origin.
import { createHash } from 'node:crypto';

import { type Identity, writeOps } from '../../auth/index.js';
import { parsePath } from '../../auth/paths.js';
import { stringifyExact } from '../../codec/exactJson.js';
import { planText } from '../../codec/import.js';
import { leafFromJson, plainJsonValue } from '../../codec/jsonValues.js';
import { PlanError } from '../../codec/plan.js';
import { GroveError } from '../../errors.js';
import type { CompareOp, Node } from '../../node.js';
import { type MethodDefinition, type RpcContext, ErrorCode, RawJson, RpcError } from '../../rpc/index.js';
import { Tree } from '../../tree.js';
import {
  isStructured,
  isTypeName,
  type JsonValue,
  type LeafValue,
  queryIdOf,
  type TreeValue,
  TYPE_IDS,
  type TypeName,
  typeMatches,
} from '../../types.js';
import type { StationContext } from '../context.js';
import { exportPieces } from '../export.js';
import { typedNodes } from '../typedNodes.js';

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

const COMPARE_OPS = ['=', '!=', '<', '>', '<=', '>='];

interface FindParams {
  path: string;
  type?: string;
  where?: { member: string; op: CompareOp; value: unknown };
  orderBy?: string;
  descending?: boolean;
  limit?: number;
}

async function find(station: StationContext, p: FindParams) {
  const type = p.type === undefined ? undefined : typeOf(station, p.type);
  const parent = station.tree.node(p.path);
  const matches: Node[] = [];
  try {
    // ordering comes after matching, so a limit then applies to the ordered rows
    const limit = p.orderBy === undefined ? p.limit : undefined;
    if (p.where) {
      matches.push(...parent.find({ member: p.where.member, op: p.where.op, value: p.where.value as LeafValue, type, limit }));
    } else {
      // the children one at a time, in slices: a list of a million is not a million handles at once
      const query = type === undefined ? undefined : queryIdOf(type, 'tree.find');
      await sliced(parent, (child) => {
        if (query === undefined || typeMatches(child.typeId, query)) matches.push(child);
        else child.release();
        return limit === undefined || matches.length < limit;
      });
    }
    const ordered = p.orderBy === undefined ? matches : await orderBy(matches, p.orderBy, p.descending ?? false);
    const rows: { name: string; id: number; type: string; value: JsonValue }[] = [];
    await sliced(ordered.slice(0, p.limit), (child) => {
      rows.push({ name: child.name, id: child.id, type: child.type as string, value: child.toJSON() as JsonValue });
    });
    await sliced(matches.splice(0), (child) => child.release());
    return rows;
  } finally {
    for (const child of matches) child.release();
    parent.release();
  }
}

/** The nodes ordered by a member's value as tree.sort orders them: stable, those lacking it last either way. */
async function orderBy(nodes: Node[], member: string, descending: boolean): Promise<Node[]> {
  const keyed: { node: Node; key: { value: LeafValue } | undefined }[] = [];
  await sliced(nodes, (node) => {
    const found = node.child(member);
    keyed.push({ node, key: found === undefined ? undefined : { value: found.value } });
    found?.release();
  });
  keyed.sort(({ key: a }, { key: b }) => {
    if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
    return compareLeaves(a.value, b.value) * (descending ? -1 : 1);
  });
  return keyed.map(({ node }) => node);
}

/** The core's order of values (README "Decisions"): null < bool < numbers < NaN < str < bytes. */
function compareLeaves(a: LeafValue, b: LeafValue): number {
  const rank = leafRank(a) - leafRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b as string));
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array);
  // < and > compare numbers and bigints exactly, also with each other; null and NaN are equal among themselves
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function leafRank(value: LeafValue): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number' && Number.isNaN(value)) return 3;
  if (typeof value === 'number' || typeof value === 'bigint') return 2;
  return typeof value === 'string' ? 4 : 5;
}

interface TransactParams {
  ops: { method: string; params: Record<string, unknown> }[];
  ifVersions?: Record<string, number>;
}

export const TRANSACTABLE = ['tree.set', 'tree.patch', 'tree.add', 'tree.delete', 'tree.sort', 'tree.increment', 'tree.cas'];

interface PreparedOp {
  method: TreeMethod<any>;
  params: Record<string, unknown>;
  path: string;
}

/**
 * Applies the ops in order, all or none. They are rehearsed first on a scratch copy of
 * what they touch, so that a failing op is found before the tree changes at all (no
 * version taken, no change event, no node replaced); then they run on the tree, where
 * they meet what they met in the rehearsal. An op's ifVersion, like ifVersions, is
 * checked against the tree as it was before the transaction.
 */
function transact(p: TransactParams, call: Call) {
  const { station } = call;
  for (const [at, expected] of Object.entries(p.ifVersions ?? {})) checkVersion(station, normalise(station, at), expected);
  const ops = p.ops.map((op, index) => inOp(index, op.method, () => prepare(station, op)));
  const scratch = Tree.create();
  try {
    copyTouched(station.tree, scratch, ops);
    const rehearsal: Call = { ...call, station: { ...station, tree: scratch } };
    ops.forEach(({ method, params }, index) => inOp(index, method.name, () => method.run(params, rehearsal)));
  } finally {
    scratch.close();
  }
  for (const { method, params } of ops) method.run(params, call);
  return { version: station.tree.version };
}

/** An op's params as its method takes them (the schema of ops admits only TRANSACTABLE methods). */
function prepare(station: StationContext, op: TransactParams['ops'][number]): PreparedOp {
  const { ifVersion, ...params } = station.engine.validate(op.method, op.params);
  const path = normalise(station, String(params.path));
  checkVersion(station, path, ifVersion as number | undefined);
  return { method: METHODS_BY_NAME.get(op.method)!, params, path };
}

/** Runs one op's step, its errors saying which op failed and that nothing was applied. */
function inOp<T>(index: number, method: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof Error) err.message = `ops[${index}] (${method}) failed, nothing was applied: ${err.message}`;
    throw err;
  }
}

/** The paths of a transaction's ops as a tree of names: what the rehearsal must copy, and where. */
interface PathTrie {
  readonly names: Map<string, PathTrie>;
  /** An op deletes this path: later ops with it find the next child of its name. */
  deleted: boolean;
  /** The members an op sorts this node's children by: later ops under it find the first of a name in the new order. */
  readonly sortedBy: Set<string>;
}

function pathTrie(ops: readonly PreparedOp[]): PathTrie {
  const trie = (): PathTrie => ({ names: new Map(), deleted: false, sortedBy: new Set() });
  const root = trie();
  for (const { method, params, path } of ops) {
    let at = root;
    for (const name of path === '' ? [] : path.split('/')) {
      let next = at.names.get(name);
      if (next === undefined) at.names.set(name, (next = trie()));
      at = next;
    }
    if (method.name === 'tree.delete') at.deleted = true;
    if (method.name === 'tree.sort') at.sortedBy.add(params.member as string);
  }
  return root;
}

/**
 * Copies into `scratch` what the ops may meet, and nothing more, so that a rehearsal costs
 * what the ops name, not the size of what they touch: each node on the way to an op's path
 * as an empty node of its type, leaves whole. Where an earlier op changes which child a
 * name finds (a delete of that path, a sort of its parent), every child of that name is
 * copied, in order, each with the members the sort compares, so the rehearsal finds the
 * same one the ops will; only then are the parent's names read through (tree.list).
 */
function copyTouched(tree: Tree, scratch: Tree, ops: readonly PreparedOp[]): void {
  const pending: Array<{ from: Node; to: Node; trie: PathTrie }> = [{ from: tree.root, to: scratch.root, trie: pathTrie(ops) }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { from, to, trie } = next;
    try {
      for (const [name, below] of trie.names) {
        const sources = below.deleted || trie.sortedBy.size > 0 ? namedChildren(from, name) : [from.child(name)].filter((n) => n !== undefined);
        for (const source of sources) {
          const copy = to.add(source.name, source.typeId, holdsChildren(source) ? undefined : source.value);
          if (holdsChildren(source)) {
            // the members a sort of the parent compares, when no op's path copies them anyway
            for (const member of trie.sortedBy) {
              if (below.names.has(member)) continue;
              const key = source.child(member);
              if (key === undefined) continue;
              copy.add(key.name, key.typeId, holdsChildren(key) ? undefined : key.value).release();
              key.release();
            }
            pending.push({ from: source, to: copy, trie: below });
          } else {
            source.release();
            copy.release();
          }
        }
      }
    } finally {
      if (from !== tree.root) from.release();
      if (to !== scratch.root) to.release();
    }
  }
}

/** The children of `parent` named `name`, in order. */
function namedChildren(parent: Node, name: string): Node[] {
  if (!holdsChildren(parent)) return [];
  const ids = parent.list(0, parent.childCount).children.filter((child) => child.name === name).map(({ id }) => id);
  return ids.map((id) => parent.childById(id)).filter((n) => n !== undefined);
}

function holdsChildren(node: Node): boolean {
  return !isTypeName(node.type) || isStructured(node.type as TypeName);
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

/**
 * Subtrees of more nodes than this are read in slices of the event loop: one native call
 * over them would hold every other client back (a 1M-node export takes 100-300 ms).
 */
const SLICED_NODES = 50_000;
/** How long one slice of such a read runs before other calls get their turn. */
const SLICE_MS = 8;

/** `read(node)` for the node at `path` when it holds more than SLICED_NODES nodes, else undefined. */
function large<T>(station: StationContext, path: string, read: (node: Node, size: number) => Promise<T>): Promise<T> | undefined {
  const node = station.tree.tryNode(path);
  if (node === undefined) return undefined;
  const size = node.size;
  if (size <= SLICED_NODES) {
    node.release();
    return undefined;
  }
  return read(node, size).finally(() => node.release());
}

/**
 * Takes the pieces in slices of SLICE_MS, letting other calls run in between; resolves with
 * `done` of them (each is also handed to `each`, which may keep it instead).
 */
async function inSlices<T>(pieces: Iterator<string>, done: (pieces: string[]) => T, each?: (piece: string) => void): Promise<T> {
  const kept: string[] = [];
  try {
    await sliced({ [Symbol.iterator]: () => pieces }, (piece) => void (each ? each(piece) : kept.push(piece)));
  } finally {
    pieces.return?.();
  }
  return done(kept);
}

/** Calls `each` with every item, letting other calls run every SLICE_MS, until it returns false. */
async function sliced<T>(items: Iterable<T>, each: (item: T) => boolean | void): Promise<void> {
  let sliceStart = performance.now();
  for (const item of items) {
    if (each(item) === false) return;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
