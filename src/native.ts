// The one loader of the addon and the shape of what it exports. Every function takes and
// returns numbers, strings and leaf values: trees and snapshots are integer handles of the
// calling thread; a node is its tree's handle and a reference (src/node.ts: its id, or minus
// a handle for a node outside the tree). Handles are freed by release(), or by the
// finalizer registered with trackHandle() when their owner is collected.
//
// The addon comes in two builds with the same exports: the lockless one, what Grove is, and
// the locking one (child lists guarded by one reader-writer mutex), the baseline the
// benchmarks measure against. A thread loads the locking one when GROVE_VARIANT=locking is
// in its environment (a worker's `env` option sets it for one worker); trees of one build
// cannot be attached from the other. A third, GROVE_VARIANT=testing, is the lockless one with
// the faults tests inject (include/grove/test_hooks.h), built on demand by test/ only. Where each is found (scripts/build-native.mjs writes
// them there): the lockless build from source in build/Release/grove.node, else the
// package's prebuilt binary prebuilds/<platform>-<arch>/grove.napi.node (N-API 9, so one
// binary serves every Node version); the locking build in build-locking/Release/, made on
// demand by the benchmarks (`npm run build:locking`).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { GroveError } from './errors.js';
import { packageRoot } from './packageRoot.js';
import type { PlotEnvelope } from './node.js';
import type { ArrayValue, LeafValue } from './types.js';

export interface NativeBinding {
  setup(errorClass: typeof GroveError): void;
  release(handle: number): void;
  /** handles: live handles of this thread; trees: trees alive in the process. */
  stats(): { handles: number; trees: number };
  /** The testing build only: this thread's next set through a path throws std::length_error(what) in the core. */
  failNextWrite?(what: string): void;

  createTree(): number;
  shareTree(tree: number): number;
  attachTree(token: number): number;
  closeTree(tree: number): void;
  treeHolders(tree: number): number;
  treeRoot(tree: number): number;
  treeVersion(tree: number): number;
  advanceTreeVersion(tree: number, version: number): number;
  /** level: 0 off, 1 events, 2 events and records. */
  setFeed(tree: number, level: number): void;
  /** 9 entries per change: version, op index, writer, id, path, the JSON texts value, oldValue and record (or undefined), and omitted (1: value, 2: old value left out for size). */
  takeChanges(tree: number): unknown[];
  /** The tag this thread's changes carry. */
  writerTag(): number;
  /** Applies one record (JSON text or its bytes); returns its version. */
  applyRecord(tree: number, record: string | Uint8Array, keepVersions: boolean, after: number): number;
  /** With the tree's writers held back: [changes (as takeChanges), snapshot body, version, next id]. */
  snapshotTree(tree: number): [unknown[], string, number, number];
  /** With the tree's writers held back: [changes (as takeChanges), the record form of the node at each path or undefined]. */
  exportFrozen(tree: number, paths: string[]): [unknown[], (string | undefined)[], string];
  nonceOf(tree: number, key: string): number;
  acceptNonce(tree: number, key: string, nonce: number, path: string): boolean;
  loadTree(tree: number, body: string | Uint8Array): void;
  /** A detached subtree from its record form, ids kept; with `children`, each of its children. */
  readSubtree(tree: number, node: string, children: false): number;
  readSubtree(tree: number, node: string, children: true): number[];
  nodeById(tree: number, id: number | bigint): number | undefined;
  treeSize(tree: number): number;
  /** [next id, id range], after raising the next id to `next` and moving new ids to `range`, when given. */
  treeIds(tree: number, next?: number, range?: number): [number, number];
  /** typeId 0 infers the type from the value. */
  createNode(tree: number, name: string, typeId: number, value: unknown): number;
  /** format: 0 plain, 1 typed, 2 store (typed with ids), 3 snapshot (and versions); depth: levels of children to include (undefined: all). */
  exportJSON(tree: number, node: number, path: string, format: number, depth?: number): string;

  nodeId(tree: number, node: number): number;
  nodeName(tree: number, node: number): string;
  nodeType(tree: number, node: number): number;
  nodeVersion(tree: number, node: number): number;
  nodePath(tree: number, node: number): string;
  childCount(tree: number, node: number): number;
  value(tree: number, node: number): LeafValue;
  valueAs(tree: number, node: number, typeId: number): LeafValue;
  valueAt(tree: number, node: number, path: string): LeafValue;
  lookup(tree: number, node: number, path: string, required: boolean): number | undefined;
  parent(tree: number, node: number): number | undefined;
  ancestor(tree: number, node: number, typeId: number): number | undefined;
  childByName(tree: number, node: number, name: string): number | undefined;
  childAt(tree: number, node: number, index: number): number | undefined;
  childOfType(tree: number, node: number, typeId: number): number | undefined;
  childById(tree: number, node: number, id: number | bigint): number | undefined;
  children(tree: number, node: number): number[];
  /** op: 0 =, 1 !=, 2 <, 3 >, 4 <=, 5 >=; limit -1: no limit. */
  find(tree: number, node: number, member: string, op: number, value: LeafValue, byCount: boolean, typeId: number, limit: number): number[];
  /** [total, then name, typeId, id, childCount, version per child of the page]. */
  listChildren(tree: number, node: number, offset: number, limit: number): unknown[];
  subtreeSize(tree: number, node: number): number;
  snapshot(tree: number, node: number): number;
  snapshotSize(snapshot: number): number;
  /** Fills `refs` with the node references of the next children (from `from`, going back with `backward`) and returns their names joined by '/' ('' for none). */
  snapshotBatch(snapshot: number, from: number, backward: boolean, refs: Float64Array): string;

  setValue(tree: number, node: number, value: LeafValue): number;
  setPath(tree: number, node: number, path: string, value: unknown, typeId: number): number;
  deletePath(tree: number, node: number, path: string): number;
  putPath(tree: number, node: number, path: string, detached: number): number;
  addPath(tree: number, node: number, path: string, detached: number): number;
  addChild(tree: number, node: number, name: string, typeId: number, value: unknown): number;
  append(tree: number, node: number, child: number): number;
  removeChild(tree: number, node: number, child: number): number;
  removeChildAt(tree: number, node: number, index: number): number;
  replaceById(tree: number, node: number, id: number | bigint, replacement: number): number;
  sortChildren(tree: number, node: number, member: string, descending: boolean): number;
  copySubtree(tree: number, node: number): number;
  copyChildren(tree: number, from: number, to: number): number;
  increment(tree: number, node: number, by: number | bigint): number | bigint;
  compareAndSet(tree: number, node: number, expected: LeafValue, value: LeafValue): [boolean, LeafValue];
  setIfZero(tree: number, node: number, value: LeafValue): [boolean, LeafValue];

  /** A TypedArray over the node's array buffer (zero-copy where the runtime allows). */
  arrayView(tree: number, node: number): ArrayValue;
  /** op: 0 sum, 1 min, 2 max. */
  arrayReduce(tree: number, node: number, op: number): number | bigint | null;
  arrayDot(tree: number, node: number, other: number): number | bigint;
  arrayScale(tree: number, node: number, a: number | bigint): number;
  arrayAxpy(tree: number, node: number, a: number | bigint, x: number): number;
  arrayResize(tree: number, node: number, length: number): number;
  /** buffers: array buffers alive in the process; views: this thread's zero-copy ArrayBuffers; isa: the kernels in use. */
  arrayStats(): { buffers: number; views: number; isa: 'avx2' | 'scalar' };
  /** The node's min/max envelope over [from, to) in at most `buckets` runs (include/grove/plot.h); to undefined: to the end. */
  nodeEnvelope(tree: number, node: number, from: number, to: number | undefined, buckets: number): PlotEnvelope;
  convertValue(value: LeafValue, typeId: number): LeafValue;
  nodeHash(tree: number, node: number): string;
  /** members: [name, typeId (0: inferred), queryId, required, ...]. */
  registerType(tree: number, id: number, name: string, members: (string | number | boolean)[], open: boolean): void;
}

export type Variant = 'lockless' | 'locking' | 'testing';

const PLATFORM = `${process.platform}-${process.arch}`;

/** Where each build may be, in the order tried, and what to run when none is there. */
const ADDONS: Record<Variant, { candidates: string[]; remedy: string }> = {
  lockless: {
    candidates: [join(packageRoot, 'build', 'Release', 'grove.node'), join(packageRoot, 'prebuilds', PLATFORM, 'grove.napi.node')],
    remedy:
      `there is no prebuilt binary for ${PLATFORM} and no build from source. Build it: where grove is installed, ` +
      '`npm rebuild grove --build-from-source` (npm 11.19+ first wants `npm install-scripts approve grove`); ' +
      'in a checkout, `npm run build`. Either needs cmake 3.20+, a C++20 compiler and ninja or make',
  },
  locking: {
    candidates: [join(packageRoot, 'build-locking', 'Release', 'grove_locked.node')],
    remedy: 'the benchmarks build it on demand; build it yourself with `npm run build:locking` in a checkout of grove',
  },
  testing: {
    candidates: [join(packageRoot, 'build-testing', 'Release', 'grove_test.node')],
    remedy: 'the tests build it on demand; build it yourself with `node scripts/build-native.mjs --testing` in a checkout of grove',
  },
};

function variantFromEnvironment(): Variant {
  const requested = process.env.GROVE_VARIANT;
  if (requested === undefined || requested === '') return 'lockless';
  if (requested === 'lockless' || requested === 'locking' || requested === 'testing') return requested;
  throw new Error(`GROVE_VARIANT must be 'lockless', 'locking' or 'testing', got '${requested}'`);
}

function find(variant: Variant): string {
  const { candidates, remedy } = ADDONS[variant];
  const path = candidates.find((candidate) => existsSync(candidate));
  if (path === undefined) throw new Error(`Grove's ${variant} addon is not there (looked for ${candidates.join(' and ')}): ${remedy}.`);
  return path;
}

function load(path: string): NativeBinding {
  const binding = createRequire(import.meta.url)(path) as NativeBinding;
  binding.setup(GroveError);
  return binding;
}

/** The build of the core this thread loaded. */
export const variant: Variant = variantFromEnvironment();

/** The file the addon was loaded from. */
export const addonFile: string = find(variant);

export const native: NativeBinding = load(addonFile);

const finalizer = new FinalizationRegistry<number>((handle) => native.release(handle));

/** Releases `handle` when `owner` is garbage collected, unless releaseHandle() ran first. */
export function trackHandle(owner: object, handle: number): void {
  finalizer.register(owner, handle, owner);
}

export function releaseHandle(owner: object, handle: number): void {
  finalizer.unregister(owner);
  native.release(handle);
}
