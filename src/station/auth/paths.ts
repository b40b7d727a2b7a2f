// Paths as DESIGN "The node" reads them: names joined by "/", the root is "", a leading "/"
// is ignored. Rules and requests go through the same reading, so the two cannot disagree.

/** The path without its optional leading "/". */
export function normalizePath(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

/**
 * Why a normalized path is no path at all, or undefined when it is one. The tree refuses
 * such paths too; refusing them here as well means a lenient reading elsewhere ("a/../b",
 * "a//b", "a/") can never slip past a prefix check.
 */
export function pathProblem(path: string): string | undefined {
  if (path === '') return undefined;
  for (const name of path.split('/')) {
    if (name === '') return `path "${path}" has an empty name`;
    if (name === '.' || name === '..') return `path "${path}" has the name "${name}", which is refused`;
  }
  return undefined;
}

/** Whether `path` is `prefix` or lies under it; whole names only: "users/al" does not cover "users/alice". */
export function isWithin(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

/** The name right below `ancestor` on the way to `descendant` (which lies strictly under it). */
export function childToward(ancestor: string, descendant: string): string {
  const rest = ancestor === '' ? descendant : descendant.slice(ancestor.length + 1);
  return rest.split('/', 1)[0]!;
}
