// Import of JSON text into a node: parse, plan the whole document (so a bad document
// fails before anything is added), then build it under the target. The import adds the
// document's top-level children to the target and replaces nothing; callers decide what
// to clear first.

import { parseJsonText } from './jsonText.js';
import { parseNodixDefinition, planNodix } from './nodix.js';
import { planPlain, type Plan, type PlanNode, type PlanType } from './plan.js';
import { planTyped } from './typed.js';
import type { LeafValue } from '../types.js';

export type ImportFormat = 'plain' | 'typed' | 'nodix';

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
  /** The document's top level: a Nodix `let` definition's name and type, else unnamed. */
  name: string | undefined;
  type: PlanType;
}

const PROGRESS_INTERVAL_MS = 100;

/** Parses and checks a document without touching any tree. */
export function planText(text: string, format: ImportFormat, maxDepth?: number): Plan {
  switch (format) {
    case 'plain':
      return planPlain(parseJsonText(text, { maxDepth }), text);
    case 'typed':
      return planTyped(parseJsonText(text, { maxDepth }), text);
    case 'nodix':
      return planNodix(parseNodixDefinition(text, { maxDepth }), text);
    default:
      throw new TypeError(`unknown import format ${JSON.stringify(format)}: expected 'plain', 'typed' or 'nodix'`);
  }
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
