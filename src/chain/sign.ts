// Signing a node's content: an ECDSA secp256k1 signature over its content hash
// (node.hash(), SHA-256 of its typed JSON with its name emptied), in strict DER with low S.
// A verification checks the encoding first, so only canonical signatures pass.
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

import type { Node } from '../node.js';
import { derProblem, decodeDer, encodeDer, CURVE_ORDER } from './der.js';
import { checkPublicKey } from './keys.js';

// noble's synchronous API takes its hashes from here (RFC 6979 nonces use HMAC-SHA256).
secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message);

function bytesOf(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? hexToBytes(value) : value;
}

/** The public key of a secret key: 33 bytes (compressed) unless `compressed` is false. */
export function publicKeyOf(secretKey: Uint8Array, compressed = true): Uint8Array {
  return secp.getPublicKey(secretKey, compressed);
}

/** A DER signature (hex) of the node's content hash, deterministic (RFC 6979), with low S. */
export function signNode(node: Node, secretKey: Uint8Array): string {
  const compact = secp.sign(hexToBytes(node.hash()), secretKey, { prehash: false, lowS: true });
  const { r, s } = secp.Signature.fromBytes(compact);
  return bytesToHex(encodeDer(r, s));
}

/** Whether `signature` (strict DER with low S, bytes or hex) signs the node's content as it is now. */
export function verifyNode(node: Node, signature: Uint8Array | string, publicKey: Uint8Array | string): boolean {
  const der = bytesOf(signature);
  const key = bytesOf(publicKey);
  checkPublicKey(key);
  if (derProblem(der) !== undefined) return false;
  const { r, s } = decodeDer(der);
  if (r >= CURVE_ORDER || s > CURVE_ORDER / 2n) return false;
  const compact = new secp.Signature(r, s).toBytes();
  return secp.verify(compact, hexToBytes(node.hash()), key, { prehash: false, lowS: true });
}
