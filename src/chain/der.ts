// ECDSA signatures in strict DER, as BIP66 requires them (0x30 len 0x02 lenR R 0x02 lenS S,
// integers minimal and positive; here without the sighash byte), with the low S that
// BIP62 and BIP146 require (S <= n/2), so that each signature has one encoding.
import { GroveError } from '../errors.js';

/** secp256k1's group order (SEC 2, 2.4.1). */
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Why `sig` is not strict DER (BIP66), or undefined when it is. */
export function derProblem(sig: Uint8Array): string | undefined {
  const size = sig.length;
  if (size < 8) return 'shorter than the 8 bytes of the smallest DER signature';
  if (size > 72) return 'longer than the 72 bytes of the largest DER signature';
  if (sig[0] !== 0x30) return 'not a DER sequence (0x30)';
  if (sig[1] !== size - 2) return 'the sequence length does not match';
  const rLength = sig[3]!;
  if (5 + rLength >= size) return 'R runs past the end';
  const sLength = sig[5 + rLength]!;
  if (rLength + sLength + 6 !== size) return 'the lengths of R and S do not add up';
  if (sig[2] !== 0x02) return 'R is not a DER integer (0x02)';
  if (rLength === 0) return 'R is empty';
  if (sig[4]! & 0x80) return 'R is negative';
  if (rLength > 1 && sig[4] === 0x00 && !(sig[5]! & 0x80)) return 'R has excess padding';
  if (sig[4 + rLength] !== 0x02) return 'S is not a DER integer (0x02)';
  if (sLength === 0) return 'S is empty';
  if (sig[6 + rLength]! & 0x80) return 'S is negative';
  if (sLength > 1 && sig[6 + rLength] === 0x00 && !(sig[7 + rLength]! & 0x80)) return 'S has excess padding';
  return undefined;
}

export function isStrictDer(sig: Uint8Array): boolean {
  return derProblem(sig) === undefined;
}

/** R and S of a strict DER signature; INVALID_ARGUMENT otherwise. */
export function decodeDer(sig: Uint8Array): { r: bigint; s: bigint } {
  const problem = derProblem(sig);
  if (problem !== undefined) throw new GroveError('INVALID_ARGUMENT', `not a strict DER signature (BIP66): ${problem}`);
  const rLength = sig[3]!;
  return { r: integer(sig.subarray(4, 4 + rLength)), s: integer(sig.subarray(6 + rLength)) };
}

/** The strict DER encoding of R and S (each 1..n-1). */
export function encodeDer(r: bigint, s: bigint): Uint8Array {
  for (const x of [r, s]) {
    if (x <= 0n || x >= CURVE_ORDER) throw new GroveError('INVALID_ARGUMENT', 'R and S are integers from 1 to n-1');
  }
  const rBytes = minimal(r);
  const sBytes = minimal(s);
  return Uint8Array.of(0x30, 4 + rBytes.length + sBytes.length, 0x02, rBytes.length, ...rBytes, 0x02, sBytes.length, ...sBytes);
}

/** Whether a strict DER signature has 0 < R < n and 0 < S <= n/2. */
export function isLowS(sig: Uint8Array): boolean {
  const { r, s } = decodeDer(sig);
  return r > 0n && r < CURVE_ORDER && s > 0n && s <= CURVE_ORDER / 2n;
}

function integer(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const byte of bytes) x = (x << 8n) | BigInt(byte);
  return x;
}

// Big-endian, shortest, with a 0x00 before a high first byte (DER integers are signed).
function minimal(x: bigint): number[] {
  const bytes: number[] = [];
  for (; x > 0n; x >>= 8n) bytes.unshift(Number(x & 0xffn));
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return bytes;
}
