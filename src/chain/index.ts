// Blockchain primitives: Bitcoin's hashes, Base58Check addresses, CompactSize and var_str,
// strict DER signatures, Merkle roots, and signatures over a node's content.
export {
  ADDRESS_VERSIONS,
  addressFromPublicKey,
  type AddressVersionName,
  type DecodedAddress,
  decodeAddress,
  decodeBase58Check,
  encodeBase58Check,
} from './base58check.js';
export { decodeCompactSize, decodeVarString, encodeCompactSize, encodeVarString } from './compactSize.js';
export { CURVE_ORDER, decodeDer, derProblem, encodeDer, isLowS, isStrictDer } from './der.js';
export { fromDisplayHex, hash160, sha256, sha256d, toDisplayHex } from './hashes.js';
export { checkPublicKey } from './keys.js';
export { merkleRoot } from './merkle.js';
export { publicKeyOf, signNode, verifyNode } from './sign.js';
