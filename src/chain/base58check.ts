// Base58Check (a payload and the first 4 bytes of its sha256d, in Base58) and Bitcoin
// addresses: a version byte and the hash160 of a public key or script.
import bs58 from 'bs58';
import { concatBytes } from '@noble/hashes/utils.js';

import { GroveError } from '../errors.js';
import { hash160, sha256d } from './hashes.js';
import { checkPublicKey } from './keys.js';

/** Address version bytes: pay-to-pubkey-hash and pay-to-script-hash, on mainnet and testnet. */
export const ADDRESS_VERSIONS = Object.freeze({ p2pkh: 0x00, p2sh: 0x05, testnetP2pkh: 0x6f, testnetP2sh: 0xc4 });

export function encodeBase58Check(payload: Uint8Array): string {
  return bs58.encode(concatBytes(payload, sha256d(payload).subarray(0, 4)));
}

/** The payload of Base58Check text; INVALID_ARGUMENT for bad characters or a wrong checksum. */
export function decodeBase58Check(text: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = bs58.decode(text);
  } catch {
    throw new GroveError('INVALID_ARGUMENT', `not Base58: ${JSON.stringify(text)} has a character outside the alphabet`);
  }
  if (bytes.length < 4) throw new GroveError('INVALID_ARGUMENT', 'too short for a Base58Check checksum');
  const payload = bytes.subarray(0, bytes.length - 4);
  const check = sha256d(payload);
  if (!check.subarray(0, 4).every((byte, i) => byte === bytes[payload.length + i])) {
    throw new GroveError('INVALID_ARGUMENT', `the Base58Check checksum of ${JSON.stringify(text)} does not match`);
  }
  return payload;
}

/** The address of a public key (33 or 65 bytes, SEC1): Base58Check of version and hash160. */
export function addressFromPublicKey(publicKey: Uint8Array, version: number = ADDRESS_VERSIONS.p2pkh): string {
  checkPublicKey(publicKey);
  return encodeBase58Check(concatBytes(Uint8Array.of(version), hash160(publicKey)));
}

/**
 * An address's version and hash160, checking its checksum, its length and that its
 * version is one of `versions` (by default every one of ADDRESS_VERSIONS).
 */
export function decodeAddress(
  text: string,
  versions: readonly number[] = Object.values(ADDRESS_VERSIONS),
): { version: number; hash: Uint8Array } {
  const payload = decodeBase58Check(text);
  if (payload.length !== 21) throw new GroveError('INVALID_ARGUMENT', 'an address is a version byte and a 20-byte hash');
  if (!versions.includes(payload[0]!)) {
    throw new GroveError('INVALID_ARGUMENT', `address version 0x${payload[0]!.toString(16).padStart(2, '0')} is not one of the accepted versions`);
  }
  return { version: payload[0]!, hash: payload.subarray(1) };
}
