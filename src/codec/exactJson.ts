// JSON.stringify for values that may hold bigints (integers past ±2^53 as JSON-RPC params
// carry them, src/rpc/json.ts): each bigint is written as the integer literal it is, which
// the import parser (./jsonText.ts) and src/rpc/json.ts read back exactly.

/** JSON.stringify(value), with every bigint written as its integer literal instead of throwing. */
export function stringifyExact(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
  }
  // A marker no string can forge (it is random per call) stands for each bigint, then is
  // replaced by the digits; the quotes around it go too, leaving a number literal.
  const marker = `bigint-${globalThis.crypto.randomUUID()}:`;
  const text = JSON.stringify(value, (_key, member: unknown) => (typeof member === 'bigint' ? `${marker}${member}` : member));
  return text.replaceAll(new RegExp(`"${marker}(-?[0-9]+)"`, 'g'), '$1');
}
