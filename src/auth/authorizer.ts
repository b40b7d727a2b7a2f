import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@noble/hashes/utils.js';
import { isPlainObject } from './canonicalJson.js';
import { AuthError, RulesError } from './errors.js';
import { isWithin, parsePath } from '../paths.js';
import { type Owner, type RulesFile, parseRules, tokenProblem } from './rules.js';
import { isNonce, isSignatureHex, isValidWriteSignature, writeDigest } from './signature.js';
import { reachedOwners, writeOps } from './writes.js';

export type Access = 'read' | 'write';

/** Who is calling, as authenticate found it; `read` includes everything in `write`. */
export interface Identity {
  /**
   * What events and messages call the caller: the token's name in the rules, else where it
   * was given ("token #2": the second --token; "tokens entry #3": the rules file's third),
   * "open" for anyone on an open station. Never anything derived from the token itself.
   */
  readonly name: string;
  /** The bearer token presented; undefined for the anonymous caller of an open station. */
  readonly token: string | undefined;
  /** Normalized path prefixes; "" is everything. */
  readonly read: readonly string[];
  readonly write: readonly string[];
  /** May call station.info and cluster.info: given `"info": true`, or read access at the root. */
  readonly info: boolean;
}

/**
 * The last nonce accepted per owner key. A station's is its tree (Tree.nonceOf and
 * acceptNonce), which keeps them in its log, snapshots and cluster streams: a signed write
 * is accepted once, across restarts, failovers and migrations.
 */
export interface NonceStore {
  /** The last nonce accepted for the key, 0 for none. */
  last(publicKey: string): number;
  /** Takes `nonce` if it is greater than the last, in one step; `prefix` is the owned subtree. */
  accept(publicKey: string, nonce: number, prefix: string): boolean;
}

/** Nonces kept in memory only, for an Authorizer without a tree: forgotten when the process ends. */
export class MemoryNonces implements NonceStore {
  readonly #last = new Map<string, number>();

  last(publicKey: string): number {
    return this.#last.get(publicKey) ?? 0;
  }

  accept(publicKey: string, nonce: number): boolean {
    if (nonce <= this.last(publicKey)) return false;
    this.#last.set(publicKey, nonce);
    return true;
  }
}

export interface AuthorizerOptions {
  /** Tokens with full read and write (`--token`, GROVE_TOKEN). */
  tokens?: readonly string[];
  rules?: RulesFile;
  /** Names the rules in error messages, e.g. the file they came from. */
  source?: string;
  nonces?: NonceStore;
}

export interface LoadAuthConfigOptions {
  tokens: readonly string[];
  rulesFile?: string;
  nonces?: NonceStore;
}

/** A call to a write method, with its params as the client sent them (`signature` included). */
export interface WriteCall {
  method: string;
  params: Readonly<Record<string, unknown>>;
}

const anonymous: Identity = Object.freeze({ name: 'open', token: undefined, read: [''], write: [''], info: true });

/** The station's authorization: who a token is, what it may read and write, and owner signatures. */
export class Authorizer {
  /** No tokens at all: every caller may read and write (owner signatures still apply). */
  readonly open: boolean;
  readonly #tokens: { digest: Buffer; identity: Identity }[];
  readonly #owners: readonly Owner[];
  readonly #nonces: NonceStore;

  constructor({ tokens = [], rules = {}, source = 'rules', nonces = new MemoryNonces() }: AuthorizerOptions = {}) {
    for (const token of tokens) {
      const problem = tokenProblem(token);
      if (problem !== undefined) throw new RulesError(`--token: ${problem}`);
    }
    const parsed = parseRules(rules, source);
    const grants = [
      ...[...new Set(tokens)].map((token, index) => ({ token, name: `token #${index + 1}`, read: [''], write: [''], info: true })),
      ...parsed.tokens,
    ];
    const seen = new Set<string>();
    this.#tokens = grants.map(({ token, name, read, write, info }) => {
      if (seen.has(token)) {
        throw new RulesError(`${source}: the token of ${name} is also given by --token, which grants everything`);
      }
      seen.add(token);
      const identity = { name, token, read, write, info: info || read.includes('') };
      return { digest: tokenDigest(token), identity: Object.freeze(identity) };
    });
    this.open = this.#tokens.length === 0;
    this.#owners = parsed.owners;
    this.#nonces = nonces;
  }

  /** The caller a bearer token (or in-band `auth` call) identifies; throws UNAUTHENTICATED. */
  authenticate(token: string | undefined): Identity {
    if (this.open) return anonymous;
    if (token === undefined) {
      throw new AuthError(
        'UNAUTHENTICATED',
        'this station requires a token: send Authorization: Bearer <token>, or call auth first on WebSocket',
      );
    }
    const digest = tokenDigest(token);
    let found: Identity | undefined;
    // compare with every token, never stopping early: the time taken says nothing of which matched
    for (const entry of this.#tokens) {
      if (timingSafeEqual(entry.digest, digest)) found = entry.identity;
    }
    if (found === undefined) {
      throw new AuthError(
        'UNAUTHENTICATED',
        'unknown token: send one this station was given, as Authorization: Bearer <token> or to auth on WebSocket',
      );
    }
    return found;
  }

  /** Throws FORBIDDEN unless `identity` may `access` `path` (a path under one of its prefixes). */
  check(identity: Identity, access: Access, path: string): void {
    const target = parsePath(path);
    const prefixes = access === 'read' ? identity.read : identity.write;
    if (prefixes.some((prefix) => isWithin(target, prefix))) return;
    const granted = prefixes.length === 0 ? `it has no ${access} access` : `it may ${access} ${quoteAll(prefixes)}`;
    const message = `token "${identity.name}" may not ${access} "${path}": ${granted}`;
    throw new AuthError('FORBIDDEN', message, path);
  }

  /** Throws FORBIDDEN unless `identity` may see what the station is and who it knows (`what`: the method). */
  checkInfo(identity: Identity, what: string): void {
    if (identity.info) return;
    throw new AuthError(
      'FORBIDDEN',
      `token "${identity.name}" may not call ${what}: give it "info": true in the rules file, or read access to the root`,
    );
  }

  /**
   * Throws FORBIDDEN unless a write reaching an owned subtree carries a valid signature by
   * its owner with a fresh nonce, which it then consumes: call it last, just before the write.
   * Writes reaching no owned subtree pass, signed or not.
   */
  verifyWrite({ method, params }: WriteCall): void {
    const reached = reachedOwners(writeOps(method, params), this.#owners);
    if (reached.length === 0) return;
    const subtrees = quoteAll(reached.map(({ owner }) => owner.prefix));
    const { path } = reached[0]!.op;
    const { publicKey } = reached[0]!.owner;
    if (reached.some(({ owner }) => owner.publicKey !== publicKey)) {
      throw new AuthError(
        'FORBIDDEN',
        `${method} reaches ${subtrees}, owned by different keys, and one signature cannot cover them: ` +
          'write to each separately',
        path,
      );
    }
    const { signature } = params;
    if (signature === undefined) {
      throw new AuthError(
        'FORBIDDEN',
        `missing signature: ${method} reaches ${subtrees}, owned by a secp256k1 key, ` +
          'so it must carry params.signature { nonce, sig } (see signWrite)',
        path,
      );
    }
    if (!isPlainObject(signature) || !isNonce(signature.nonce) || !isSignatureHex(signature.sig)) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        'params.signature must be { nonce: a positive integer, sig: 128 hex digits (64-byte compact ECDSA) }',
        path,
      );
    }
    const replayed = () =>
      new AuthError(
        'FORBIDDEN',
        `replayed nonce: ${signature.nonce} is not greater than ${this.#nonces.last(publicKey)}, the last accepted for the owner of ` +
          `${subtrees}; sign again with a larger nonce (a timestamp or counter)`,
        path,
      );
    if (signature.nonce <= this.#nonces.last(publicKey)) throw replayed();
    const digest = writeDigest(method, params, signature.nonce);
    if (!isValidWriteSignature(signature.sig, digest, hexToBytes(publicKey))) {
      throw new AuthError(
        'FORBIDDEN',
        `bad signature: it does not verify against the key owning ${subtrees}; sign ` +
          'sha256(canonicalJson({ method, params without signature, nonce })) with that key, low-S (signWrite does)',
        path,
      );
    }
    if (!this.#nonces.accept(publicKey, signature.nonce, reached[0]!.owner.prefix)) throw replayed();
  }
}

/** The Authorizer for `grove serve`: `--token`s with full access, plus the rules file if given. */
export function loadAuthConfig({ tokens, rulesFile, nonces }: LoadAuthConfigOptions): Authorizer {
  if (rulesFile === undefined) return new Authorizer({ tokens, nonces });
  let text: string;
  try {
    text = readFileSync(rulesFile, 'utf8');
  } catch (err) {
    throw new RulesError(`cannot read rules file ${rulesFile}: ${(err as Error).message}`);
  }
  let rules: RulesFile;
  try {
    rules = JSON.parse(text) as RulesFile;
  } catch (err) {
    throw new RulesError(`${rulesFile}: not valid JSON: ${(err as Error).message}`);
  }
  return new Authorizer({ tokens, rules, source: rulesFile, nonces });
}

function tokenDigest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function quoteAll(prefixes: readonly string[]): string {
  return prefixes.map((prefix) => (prefix === '' ? 'the root ""' : `"${prefix}"`)).join(', ');
}
