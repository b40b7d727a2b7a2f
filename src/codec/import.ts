// Import of JSON text into a node. readDocument() reads a document in pieces into a
// NodeSink, checking each node as it comes (the CLI streams files through it); planText()
// reads a text held whole into a Plan, so that a bad document fails before anything is
// added, and buildPlan() builds a plan under a target. The import adds the document's
// top-level children to the target and replaces nothing; callers decide what to clear
// first.

import { locateIn } from './jsonText.js';
import { JsonTokenizer, type Locate } from './jsonTokens.js';
import { type NodixFlaw, NodixReader } from './nodix.js';
import { defaultLeaf, NodeProblem, type NodeSink, type Plan, PlanBuilder, PlanError, type PlanNode, type PlanType } from './plan.js';
import { TypedReader } from './typed.js';
import { ValueReader, type ValueRule } from './valueReader.js';
import type { LeafValue } from '../types.js';

export type ImportFormat = 'plain' | 'typed' | 'nodix';

export const IMPORT_FORMATS: readonly ImportFormat[] = ['typed', 'plain', 'nodix'];

/** A document being read, piece by piece. */
export interface DocumentReader {
  write(piece: string): void;
  /** The input is over: throws what is missing if the document is not complete. */
  end(): void;
}

export interface DocumentOptions {
  /** The deepest JSON nesting accepted; default 512. Typed JSON uses two levels per tree level. */
  maxDepth?: number;
  /** Finds the line and column of an offset, for errors. */
  locate: Locate;
  /** Nodix scripts: definitions to pass over, by index (ones a first reading found flawed). */
  skip?: ReadonlySet<number>;
  /** Nodix scripts: hears each flawed definition, which is then passed over; without it the first flaw throws. */
  onFlaw?: (flaw: NodixFlaw) => void;
}

/** What an import needs of a node; the tree's Node satisfies it. */
export interface BuildTarget {
  /** Adds a child (unnamed in a list) and returns a handle to it. */
  add(name: string | undefined, type: PlanType, value?: LeafValue): BuildTarget;
  /** Drops the handle; the node stays in the tree. */
  release(): void;
}

export interface ImportOptions {
  format: ImportFormat;
  /** Called with nodes added so far and the total, at most about 10 times a second, and once at the end. */
  onProgress?: (done: number, total: number) => void;
  /** The deepest JSON nesting accepted; default 512. Typed JSON uses two levels per tree level. */
  maxDepth?: number;
}

export interface ImportResult {
  /** Nodes added under the target, at every depth. */
  nodes: number;
  /** The document's top level (unnamed; a Nodix script is an object of its definitions). */
  name: string | undefined;
  type: PlanType;
}

const PROGRESS_INTERVAL_MS = 100;

/** Plain JSON: object, list, str, bool, null, integers as i64 (u64 above), reals as f64. */
const plainRule: ValueRule = {
  container: (kind) => (kind === 'object' ? 'object' : 'list'),
  value: (value) => defaultLeaf(value as Parameters<typeof defaultLeaf>[0], 'f64', 'i64'),
};

/** Reads a document of `format` into `sink` as its pieces are written. */
export function readDocument(format: ImportFormat, sink: NodeSink, options: DocumentOptions): DocumentReader {
  if (format === 'nodix') return new NodixReader(sink, options);
  if (format !== 'plain' && format !== 'typed') {
    throw new TypeError(`unknown import format ${JSON.stringify(format)}: expected 'plain', 'typed' or 'nodix'`);
  }
  const reader = format === 'plain' ? new ValueReader(sink, plainRule) : new TypedReader(sink);
  const tokenizer = new JsonTokenizer(reader, { maxDepth: options.maxDepth, bom: true, locate: options.locate });
  const guard = (step: () => unknown) => {
    try {
      step();
    } catch (error) {
      if (error instanceof NodeProblem) throw new PlanError(error.message, error.offset, options.locate, reader.pointer(), error.code);
      throw error;
    }
  };
  return {
    write: (piece) => guard(() => tokenizer.write(piece)),
    end: () => guard(() => tokenizer.end()),
  };
}

/** Parses and checks a document held whole, without touching any tree. */
export function planText(text: string, format: ImportFormat, maxDepth?: number): Plan {
  const builder = new PlanBuilder();
  const reader = readDocument(format, builder, { maxDepth, locate: locateIn(text) });
  reader.write(text);
  reader.end();
  return builder.plan();
}

export function importInto(target: BuildTarget, text: string, options: ImportOptions): ImportResult {
  const plan = planText(text, options.format, options.maxDepth);
  if (plan.root.children === undefined) {
    throw new TypeError(`cannot import a single ${plan.root.type} value: the top level must be an object or an array`);
  }
  buildPlan(target, plan, options.onProgress);
  return { nodes: plan.size, name: plan.root.name, type: plan.root.type };
}

/**
 * Adds the plan's nodes under `target`, depth first, holding a handle only on the nodes
 * still being filled. Returns how many nodes it added.
 */
export function buildPlan(
  target: BuildTarget,
  plan: Plan,
  onProgress?: (done: number, total: number) => void,
): number {
  const children: PlanNode[] = plan.root.children ?? [];
  const total = plan.size;
  const frames: { parent: BuildTarget; children: PlanNode[]; next: number }[] = [{ parent: target, children, next: 0 }];
  let done = 0;
  let reported = performance.now();
  try {
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame.next === frame.children.length) {
        frames.pop();
        if (frame.parent !== target) frame.parent.release();
        continue;
      }
      const plan = frame.children[frame.next++];
      const node = frame.parent.add(plan.name, plan.type, plan.value);
      done++;
      if (plan.children !== undefined && plan.children.length > 0) {
        frames.push({ parent: node, children: plan.children, next: 0 });
      } else {
        node.release();
      }
      // Reading the clock at every node would cost more than the adds; every 1024 is plenty.
      if (onProgress !== undefined && done % 1024 === 0) {
        const now = performance.now();
        if (now - reported >= PROGRESS_INTERVAL_MS) {
          reported = now;
          onProgress(done, total);
        }
      }
    }
  } finally {
    // After a failed add, drop the handles of the nodes that were still being filled.
    for (const frame of frames) if (frame.parent !== target) frame.parent.release();
  }
  onProgress?.(done, total);
  return done;
}
