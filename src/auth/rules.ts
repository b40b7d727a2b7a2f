// Strict reading of the rules file (format: see ../auth.ts). Every refusal names the source
// and the entry, because a station started on rules it misread would grant the wrong access.
import { isPlainObject } from './canonicalJson.js';
import { RulesError } from './errors.js';
import { isWithin, normalizePath, pathProblem } from '../paths.js';
import { compressedPublicKey } from './signature.js';

/** A rules file as written. */
export interface RulesFile {
  tokens?: Record<string, TokenRule>;
  owners?: Record<string, string>;
}

export interface TokenRule {
  name?: string;
  read?: string[];
  write?: string[];
  /** May call station.info and cluster.info (read access at the root may anyway). */
  info?: boolean;
}

/** One token's grants, prefixes normalized ("" is everything); `read` includes `write`. */
export interface TokenGrant {
  token: string;
  /** The rule's name, else "tokens entry #<n>". */
  name: string;
  read: string[];
  write: string[];
  info: boolean;
}

/** A subtree owned by a key, which must sign every write that reaches it. */
export interface Owner {
  prefix: string;
  /** Compressed, lower-case hex; the key its nonces are counted by. */
  publicKey: string;
}

export interface Rules {
  tokens: TokenGrant[];
  owners: Owner[];
}

export function parseRules(json: unknown, source: string): Rules {
  const fail: Fail = (detail) => {
    throw new RulesError(`${source}: ${detail}`);
  };
  if (!isPlainObject(json)) fail('the rules must be a JSON object with "tokens" and/or "owners"');
  for (const key of Object.keys(json)) {
    if (key !== 'tokens' && key !== 'owners') fail(`unknown key "${key}" (expected "tokens" and "owners")`);
  }
  return { tokens: parseTokens(json.tokens ?? {}, fail), owners: parseOwners(json.owners ?? {}, fail) };
}

/** Why a token could never be presented as `Authorization: Bearer <token>`, or undefined. */
export function tokenProblem(token: string): string | undefined {
  if (token === '') return 'a token must not be empty';
  if (!/^[\x21-\x7e]+$/.test(token)) return 'a token must be printable ASCII without spaces, as a bearer token is';
  return undefined;
}

type Fail = (detail: string) => never;

function parseTokens(tokens: unknown, fail: Fail): TokenGrant[] {
  if (!isPlainObject(tokens)) fail('"tokens" must be an object mapping each token to its rule');
  return Object.entries(tokens).map(([token, rule], index) => {
    // never the token itself: error messages end up in logs
    const entry = `tokens entry #${index + 1}`;
    if (!isPlainObject(rule)) fail(`${entry} must be an object with "name", "read", "write" and "info"`);
    const { name, info = false } = rule;
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      fail(`${entry}: "name" must be a non-empty string`);
    }
    const label = name === undefined ? entry : `${entry} ("${name}")`;
    const problem = tokenProblem(token);
    if (problem !== undefined) fail(`${label}: ${problem}`);
    for (const key of Object.keys(rule)) {
      if (key !== 'name' && key !== 'read' && key !== 'write' && key !== 'info') {
        fail(`${label}: unknown key "${key}" (expected "name", "read", "write" and "info")`);
      }
    }
    if (typeof info !== 'boolean') fail(`${label}: "info" must be true or false`);
    const write = parsePrefixes(rule.write, `${label}: "write"`, fail);
    const read = [...new Set([...parsePrefixes(rule.read, `${label}: "read"`, fail), ...write])];
    return { token, name: (name as string | undefined) ?? entry, read, write, info };
  });
}

function parsePrefixes(prefixes: unknown, where: string, fail: Fail): string[] {
  if (prefixes === undefined) return [];
  if (!Array.isArray(prefixes)) {
    fail(`${where} must be an array of path prefixes, got ${JSON.stringify(prefixes)}`);
  }
  return prefixes.map((prefix) => parsePrefix(prefix, where, fail));
}

function parsePrefix(prefix: unknown, where: string, fail: Fail): string {
  if (typeof prefix !== 'string') {
    fail(`${where} has ${JSON.stringify(prefix)}, which is not a path prefix string`);
  }
  const path = normalizePath(prefix);
  const problem = pathProblem(path);
  return problem === undefined ? path : fail(`${where}: ${problem}`);
}

function parseOwners(owners: unknown, fail: Fail): Owner[] {
  if (!isPlainObject(owners)) fail('"owners" must be an object mapping path prefixes to public keys');
  const parsed = Object.entries(owners).map(([raw, key]): Owner => {
    const prefix = parsePrefix(raw, `owners entry "${raw}"`, fail);
    const publicKey = typeof key === 'string' ? compressedPublicKey(key) : undefined;
    if (publicKey === undefined) {
      const shown = JSON.stringify(key);
      fail(`owners entry "${raw}": ${shown} is not a secp256k1 public key (33 or 65 bytes in hex)`);
    }
    return { prefix, publicKey };
  });
  // one owner per subtree: nested owners would each need a signature on the same write
  for (const inner of parsed) {
    for (const outer of parsed) {
      if (inner === outer) continue;
      if (inner.prefix === outer.prefix) fail(`owners lists "${inner.prefix}" twice (a leading "/" is ignored)`);
      if (isWithin(inner.prefix, outer.prefix)) {
        fail(`owners entry "${inner.prefix}" lies inside owned "${outer.prefix}"; a subtree has one owner`);
      }
    }
  }
  return parsed;
}
