// Bitcoin's hashes: sha256d (headers, transactions, checksums, Merkle trees) and hash160
// (public key hashes in addresses), and the reversed byte order Bitcoin shows block and
// transaction hashes in.
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

export { sha256 };

/** SHA-256 of SHA-256. */
export function sha256d(bytes: Uint8Array): Uint8Array {
  return sha256(sha256(bytes));
}

/** RIPEMD-160 of SHA-256. */
export function hash160(bytes: Uint8Array): Uint8Array {
  return ripemd160(sha256(bytes));
}

/** A hash's hex in Bitcoin's display order (bytes reversed), as block and tx hashes are shown. */
export function toDisplayHex(hash: Uint8Array): string {
  return bytesToHex(Uint8Array.from(hash).reverse());
}

/** A hash from hex in Bitcoin's display order. */
export function fromDisplayHex(hex: string): Uint8Array {
  return hexToBytes(hex).reverse();
}
