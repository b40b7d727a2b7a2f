// secp256k1 public keys as SEC1 encodes them: 33 bytes starting 0x02 or 0x03
// (compressed), or 65 bytes starting 0x04.
import { GroveError } from '../errors.js';

export function checkPublicKey(key: Uint8Array): void {
  const compressed = key.length === 33 && (key[0] === 0x02 || key[0] === 0x03);
  if (!compressed && !(key.length === 65 && key[0] === 0x04)) {
    throw new GroveError('INVALID_ARGUMENT', 'a public key is 33 bytes starting 0x02 or 0x03, or 65 bytes starting 0x04');
  }
}
