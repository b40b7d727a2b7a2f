// Bitcoin's Merkle root: hashes (in internal byte order) paired level by level with
// sha256d(left || right), an odd last hash paired with itself, until one is left.
import { concatBytes } from '@noble/hashes/utils.js';

import { GroveError } from '../errors.js';
import { sha256d } from './hashes.js';

export function merkleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new GroveError('INVALID_ARGUMENT', 'merkleRoot(): a Merkle tree needs at least one hash');
  for (const hash of hashes) {
    if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new GroveError('INVALID_ARGUMENT', 'merkleRoot(): hashes are 32 bytes');
  }
  let level = [...hashes];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      next.push(sha256d(concatBytes(left, level[i + 1] ?? left)));
    }
    level = next;
  }
  return level[0]!;
}
