// Base58Check (a payload and the first 4 bytes of its sha256d, in Base58) and Bitcoin
// addresses: a version byte and the hash160 of a public key or script.
import bs58 from 'bs58';
import { concatBytes } from '@noble/hashes/utils.js';

import { GroveError } from '../errors.js';
import { hash160, sha256d } from './hashes.js';
import { checkPublicKey } from './keys.js';

/**
 * Bitcoin's address version bytes: pay-to-pubkey-hash and pay-to-script-hash, on mainnet
 * and testnet. An address may carry any version byte (each chain picks its own: Nodix's is
 * 0x19); these are the ones with a name.
 */
export const ADDRESS_VERSIONS = Object.freeze({ p2pkh: 0x00, p2sh: 0x05, testnetP2pkh: 0x6f, testnetP2sh: 0xc4 });

export type AddressVersionName = keyof typeof ADDRESS_VERSIONS;

const VERSION_NAMES = new Map<number, AddressVersionName>(
  Object.entries(ADDRESS_VERSIONS).map(([name, version]) => [version, name as AddressVersionName]),
);

export interface DecodedAddress {
  /** The version byte: which chain, and which kind of address. */
  version: number;
  /** The version's name, for Bitcoin's versions. */
  name?: AddressVersionName;
  /** The hash160 of the public key or script. */
  hash: Uint8Array;
}

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

/** The address of a public key (33 or 65 bytes, SEC1): Base58Check of a version byte and hash160. */
export function addressFromPublicKey(publicKey: Uint8Array, version: number = ADDRESS_VERSIONS.p2pkh): string {
  checkPublicKey(publicKey);
  if (!Number.isInteger(version) || version < 0 || version > 0xff) {
    throw new GroveError('INVALID_ARGUMENT', `an address version is a byte (0 to 255), not ${version}`);
  }
  return encodeBase58Check(concatBytes(Uint8Array.of(version), hash160(publicKey)));
}

/**
 * An address's version (named for Bitcoin's) and hash160, checking its checksum, its
 * length and, when `versions` is given, that its version is one of them.
 */
export function decodeAddress(text: string, versions?: readonly number[]): DecodedAddress {
  const payload = decodeBase58Check(text);
  if (payload.length !== 21) throw new GroveError('INVALID_ARGUMENT', 'an address is a version byte and a 20-byte hash');
  const version = payload[0]!;
  if (versions !== undefined && !versions.includes(version)) {
    throw new GroveError('INVALID_ARGUMENT', `address version 0x${version.toString(16).padStart(2, '0')} is not one of the accepted versions`);
  }
  const name = VERSION_NAMES.get(version);
  return { version, ...(name === undefined ? {} : { name }), hash: payload.subarray(1) };
}
