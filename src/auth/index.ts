/**
 * The station's authorization, apart from any transport: tokens, per-path rules and
 * secp256k1-owned subtrees (DESIGN "Station").
 *
 * Tokens. `--token` (repeatable) and GROVE_TOKEN give full read and write. A rules file adds
 * tokens with narrower grants. With no token at all the station is open: every caller may
 * read and write, and owned subtrees still need their owner's signature.
 *
 * Rules file (JSON; unknown keys, non-array prefixes and invalid keys are refused):
 *
 *   {
 *     "tokens": {
 *       "<token>": { "name": "alice", "read": ["<path prefix>", ...], "write": ["<path prefix>", ...], "info": true }
 *     },
 *     "owners": { "<path prefix>": "<secp256k1 public key: 33 or 65 bytes in hex>" }
 *   }
 *
 * Every key is optional; "name" labels the token in messages and as the origin of its change
 * events (an unnamed one is "tokens entry #<n>", a --token "token #<n>": never anything
 * derived from the token); "info" lets it call station.info and cluster.info, as read access
 * at the root does. A prefix covers itself and everything under it, whole names
 * only: "users/al" does not cover "users/alice"; "" or "/" is everything, a leading "/" is
 * ignored. Write implies read. A caller may touch a path only inside its prefixes, so a token
 * with "users/alice" may not read or write "users". Owned subtrees may not nest.
 *
 * Signed writes. A write inside an owned prefix, or at an ancestor of one when it may replace
 * or remove it (tree.set, tree.delete, tree.patch, ...; not tree.sort, nor tree.add of a
 * differently named child), must carry
 *
 *   params.signature = { nonce: <positive integer>, sig: <64-byte compact low-S ECDSA, hex> }
 *
 * signing sha256(canonicalJson({ method, params: <params without signature>, nonce })) with
 * the owner's key; for tree.transact, one signature on the transact's params covers its ops.
 * The nonce must exceed the last one accepted for that owner key (one number per key, in the
 * NonceStore): clients use a timestamp in milliseconds or a persisted counter. A
 * station.migrate of an owned subtree (or of an ancestor of one) is signed the same way.
 */
export {
  type Access,
  type AuthorizerOptions,
  type Identity,
  type LoadAuthConfigOptions,
  type NonceStore,
  type WriteCall,
  Authorizer,
  MemoryNonces,
  loadAuthConfig,
} from './authorizer.js';
export { canonicalJson } from './canonicalJson.js';
export { type AuthErrorCode, AuthError, RulesError } from './errors.js';
export type { RulesFile, TokenRule } from './rules.js';
export { type WriteSignature, signWrite, writeDigest } from './signature.js';
export { reaches, type WriteOp, writeOps } from './writes.js';
