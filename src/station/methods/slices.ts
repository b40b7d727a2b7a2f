// Reads of large subtrees in slices of the event loop, so that one call over a million nodes
// does not hold every other client back.
import type { Node } from '../../node.js';
import type { StationContext } from '../context.js';

/**
 * Subtrees of more nodes than this are read in slices of the event loop: one native call
 * over them would hold every other client back (a 1M-node export takes 100-300 ms).
 */
const SLICED_NODES = 50_000;
/** How long one slice of such a read runs before other calls get their turn. */
const SLICE_MS = 8;

/** `read(node)` for the node at `path` when it holds more than SLICED_NODES nodes, else undefined. */
export function large<T>(station: StationContext, path: string, read: (node: Node, size: number) => Promise<T>): Promise<T> | undefined {
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
export async function inSlices<T>(pieces: Iterator<string>, done: (pieces: string[]) => T, each?: (piece: string) => void): Promise<T> {
  const kept: string[] = [];
  try {
    await sliced({ [Symbol.iterator]: () => pieces }, (piece) => void (each ? each(piece) : kept.push(piece)));
  } finally {
    pieces.return?.();
  }
  return done(kept);
}

/** Calls `each` with every item, letting other calls run every SLICE_MS, until it returns false. */
export async function sliced<T>(items: Iterable<T>, each: (item: T) => boolean | void): Promise<void> {
  let sliceStart = performance.now();
  for (const item of items) {
    if (each(item) === false) return;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
