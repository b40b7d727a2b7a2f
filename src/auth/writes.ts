// Which owned subtrees a write reaches: those it writes inside, and those it would replace
// or remove by writing at one of their ancestors.
import { isPlainObject } from './canonicalJson.js';
import { AuthError } from './errors.js';
import { childToward, isWithin, parsePath } from '../paths.js';
import type { Owner } from './rules.js';

/** One write a call makes, at a normalized path. */
export interface WriteOp {
  method: string;
  path: string;
  params: Readonly<Record<string, unknown>>;
}

/**
 * The writes of a call to a write method: the call itself, or each op of a tree.transact
 * (DESIGN: `ops` is a list of `{ method, params }`). Every one names its `path` in params.
 */
export function writeOps(method: string, params: Readonly<Record<string, unknown>>, where = 'params'): WriteOp[] {
  if (method === 'tree.transact') {
    const { ops } = params;
    if (!Array.isArray(ops)) throw invalid(`${where}.ops must be a list of { method, params }`);
    return ops.flatMap((op: unknown, index) => {
      const at = `${where}.ops.${index}`;
      if (!isPlainObject(op) || typeof op.method !== 'string' || !isPlainObject(op.params)) {
        throw invalid(`${at} must be { method, params }`);
      }
      return writeOps(op.method, op.params, `${at}.params`);
    });
  }
  if (typeof params.path !== 'string') throw invalid(`${where}.path must be a string`);
  return [{ method, path: parsePath(params.path), params }];
}

/** An owned subtree a call reaches, and the first of its writes that does. */
export interface Reach {
  owner: Owner;
  op: WriteOp;
}

/** The owned subtrees any of `ops` reaches, each once, in `owners` order. */
export function reachedOwners(ops: readonly WriteOp[], owners: readonly Owner[]): Reach[] {
  return owners.flatMap((owner) => {
    const op = ops.find((candidate) => reaches(candidate, owner.prefix));
    return op === undefined ? [] : [{ owner, op }];
  });
}

/** Whether `op` writes inside `owned`, or at an ancestor of it in a way that may replace or remove it. */
export function reaches(op: WriteOp, owned: string): boolean {
  if (isWithin(op.path, owned)) return true;
  if (!isWithin(owned, op.path)) return false;
  switch (op.method) {
    case 'tree.sort':
      return false; // reorders the children, changes none of them
    case 'tree.add':
      // appends a child; one given the name that leads to the owned subtree counts, to be safe
      return op.params.name === childToward(op.path, owned);
    default:
      return true; // set, delete, patch and the rest may replace the whole subtree at their path
  }
}

function invalid(message: string, path?: string): AuthError {
  return new AuthError('INVALID_ARGUMENT', message, path);
}
