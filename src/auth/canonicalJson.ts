/**
 * The one serialization a write signature covers: JSON without whitespace, object keys
 * sorted at every depth by UTF-16 code units (JavaScript's default sort, as in RFC 8785),
 * numbers and strings as JSON.stringify writes them, bigints (integers past 2^53, as the
 * station reads them from a request) as their integer literal. Object members whose value is
 * undefined are left out, as JSON.stringify leaves them out of the request a client sends.
 * Anything else that is not a JSON value throws, rather than signing bytes nobody receives.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    // built by hand: an object would list integer-like keys ("9", "10") first, whatever the sort
    const members = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
