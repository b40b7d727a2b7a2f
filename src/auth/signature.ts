// Owner signatures over writes. Runs in browsers too (no node: imports), so clients sign
// with the same code the station verifies with.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import * as secp from '@noble/secp256k1';
import { canonicalJson } from './canonicalJson.js';

// secp256k1 v3 has no sync hashing of its own; signing needs HMAC-SHA256 for RFC 6979 nonces
secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message);

/** What a signed write carries in `params.signature`. */
export interface WriteSignature {
  /** Greater than every nonce accepted before for the same owner key: a timestamp or counter. */
  nonce: number;
  /** The 64-byte compact (r ‖ s, low-S) ECDSA signature of writeDigest, as hex. */
  sig: string;
}

/**
 * The 32 bytes an owner signs: sha256 of canonicalJson({ method, params, nonce }), where
 * params are the call's params without `signature`.
 */
export function writeDigest(method: string, params: Readonly<Record<string, unknown>>, nonce: number): Uint8Array {
  const { signature: _signature, ...unsigned } = params;
  return sha256(utf8ToBytes(canonicalJson({ method, params: unsigned, nonce })));
}

/** `params` with `signature` attached, signed by `secretKey` (32 bytes, or 64 hex digits). */
export function signWrite<P extends Record<string, unknown>>(
  secretKey: Uint8Array | string,
  method: string,
  params: P,
  nonce: number,
): Omit<P, 'signature'> & { signature: WriteSignature } {
  if (!isNonce(nonce)) throw new TypeError(`signWrite: nonce must be a positive safe integer, got ${nonce}`);
  const key = typeof secretKey === 'string' ? hexToBytes(secretKey) : secretKey;
  const sig = secp.sign(writeDigest(method, params, nonce), key, { prehash: false });
  return { ...params, signature: { nonce, sig: bytesToHex(sig) } };
}

/** Whether `sig` (128 hex digits) signs `digest` under `publicKey`; high-S signatures are refused. */
export function isValidWriteSignature(sig: string, digest: Uint8Array, publicKey: Uint8Array): boolean {
  return secp.verify(hexToBytes(sig), digest, publicKey, { prehash: false, lowS: true });
}

/** The compressed (33-byte) hex form of a 33- or 65-byte public key in hex, or undefined if it is none. */
export function compressedPublicKey(hex: string): string | undefined {
  if (!/^([0-9a-fA-F]{66}|[0-9a-fA-F]{130})$/.test(hex)) return undefined;
  try {
    return secp.Point.fromHex(hex).toHex(true);
  } catch {
    return undefined; // not a point on the curve
  }
}

export function isSignatureHex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{128}$/.test(value);
}

export function isNonce(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}
