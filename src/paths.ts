// Paths as DESIGN "The node" reads them: names joined by "/", the root is "", a leading "/"
// is ignored. The one home of these rules in TypeScript (the core has its own reading, in
// include/grove/node.h): the tree, requests and access rules all read paths here, so none
// of them can disagree.
import { nameProblem } from './codec/plan.js';
import { GroveError } from './errors.js';

/** The path without its optional leading "/". */
export function normalizePath(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

/**
 * Why a normalized path is no path at all, or undefined when it is one: an empty name, "." or
 * "..", or a name the tree refuses (DESIGN "The node": control characters, unpaired
 * surrogates, over 255 bytes). The tree refuses such paths too; refusing them here as well
 * means a lenient reading elsewhere ("a/../b", "a//b", "a/") can never slip past a prefix
 * check, and a path no write could make is refused by reads (and subscriptions) alike.
 */
export function pathProblem(path: string): string | undefined {
  if (path === '') return undefined;
  let start = 0;
  // a name of printable ASCII (nearly every one) holds no control character or surrogate:
  // of the rule for names, only its length is left to check
  let plain = true;
  for (let i = 0; i <= path.length; i++) {
    const c = i === path.length ? SLASH : path.charCodeAt(i);
    if (c !== SLASH) {
      if (c < 0x20 || c > 0x7e) plain = false;
      continue;
    }
    // the name is cut out only to be named in an error or checked in full: a read's path
    // is checked on every call
    const length = i - start;
    if (length === 0) return `path "${path}" has an empty name`;
    if (length <= 2 && path.charCodeAt(start) === DOT && (length === 1 || path.charCodeAt(start + 1) === DOT)) {
      return `path "${path}" has the name "${path.slice(start, i)}", which is refused`;
    }
    const problem = plain && length <= 255 ? undefined : nameProblem(path.slice(start, i));
    if (problem !== undefined) return `path ${JSON.stringify(path)}: ${problem}`;
    start = i + 1;
    plain = true;
  }
  return undefined;
}

const SLASH = 0x2f;
const DOT = 0x2e;

/** A path as a request gives it, normalized; throws INVALID_ARGUMENT, naming it, when it is no path. */
export function parsePath(raw: string): string {
  const path = normalizePath(raw);
  const problem = pathProblem(path);
  if (problem !== undefined) throw new GroveError('INVALID_ARGUMENT', problem, raw);
  return path;
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
