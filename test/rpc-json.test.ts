// How a JSON-RPC message is read (src/rpc/json.ts): exactly, with JSON.parse only for texts
// it cannot misread. The two readings must give the same values for every text JSON.parse is
// given; the exact one keeps integers past 2^53 as bigints, refuses what no value can hold, and
// keeps a request id's text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../src/rpc/index.js';
import { readExactly, readMessage } from '../src/rpc/json.js';
import { ExactNumber } from '../src/rpc/protocol.js';

const valueOf = (text: string) => {
  const message = readMessage(text, 64);
  if (message.batch || 'error' in message.item) throw new Error(`not one readable call: ${text}`);
  return message.item.value;
};

describe('readMessage', () => {
  it('keeps integers past 2^53 as bigints, within as numbers, and -0 as JSON.parse reads it', () => {
    expect(valueOf('{"v":[9007199254740992, 9007199254740993, -9007199254740993, 18446744073709551615, -9223372036854775808, 12]}')).toEqual({ v: [
      2 ** 53,
      2n ** 53n + 1n,
      -(2n ** 53n) - 1n,
      2n ** 64n - 1n,
      -(2n ** 63n),
      12,
    ] });
    expect(Object.is((valueOf('{"v":-0}') as { v: number }).v, -0)).toBe(true);
  });

  it('refuses, for that call alone and naming where, an integer past 64 bits, a real past a float and an unpaired surrogate', () => {
    const message = readMessage('[{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":[1,{"b":18446744073709551616}]}},{"id":2,"x":1e999},{"id":3,"k":{"\\ud800":1}},{"id":4,"ok":1}]', 64);
    if (!message.batch) throw new Error('a batch');
    const [first, second, third, fourth] = message.items;
    expect(first).toMatchObject({ id: 1, error: { code: ErrorCode.InvalidParams, data: { param: 'params.a.1.b' } } });
    expect((first as { error: Error }).error.message).toBe(
      'Invalid params: "params.a.1.b" is the integer 18446744073709551616, which does not fit 64 bits: the tree holds integers from -9223372036854775808 to 18446744073709551615 exactly; send a larger one as a string',
    );
    expect(second).toMatchObject({ id: 2, error: { data: { param: 'x' } } });
    expect(third).toMatchObject({ id: 3, error: { data: { param: 'k' } } });
    expect((third as { error: Error }).error.message).toContain('"k" has a key with an unpaired surrogate');
    expect(fourth).toEqual({ value: { id: 4, ok: 1 } });
  });

  it("keeps a request's numeric id as its text when no number writes it back the same way", () => {
    for (const id of ['1e400', '1.50', '-0', '1E2', '9007199254740993', '0.1e1']) {
      expect(valueOf(`{"id":${id}}`)).toEqual({ id: new ExactNumber(id) });
    }
    for (const id of ['7', '-12', '0.5', '900719925474099']) expect(valueOf(`{"id":${id}}`)).toEqual({ id: Number(id) });
    // only a request's own id: the same number deeper is a value
    expect(valueOf('{"params":{"id":1.50}}')).toEqual({ params: { id: 1.5 } });
  });

  it('reads "__proto__" as an own member and a repeated key as its last value, as JSON.parse does', () => {
    for (const text of ['{"__proto__":{"x":1},"a":1e5}', '{"__proto__":{"x":1},"a":5}', '{"a":1,"a":2e0}', '{"a":1,"a":2}']) {
      const value = valueOf(text) as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(value).toEqual(JSON.parse(text));
    }
  });
});

/** Number literals of every shape that matters: short and long integers, fractions, exponents, zeros. */
const literal = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('-0', '0', '0.0', '-0.0', '1e400', '1e-400', '5e-324', '1.50', '1E2', '-0e1', '123456789012345', '1234567890123456'),
);

/** A JSON text with literals put in as written (JSON.stringify would normalise them), ids among them. */
const message = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal,
    fc.json(),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom('id', 'params', '__proto__', 'a'), fc.string()), tie('value')), { maxLength: 4 })
      .map((members) => `{${members.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
  ),
})).value;

describe('property: JSON.parse and the exact reading agree', () => {
  it('on every text, as values, ids and refusals', () => {
    fc.assert(
      fc.property(message, (text) => {
        expect(readMessage(text, 64)).toEqual(readExactly(text, 64));
      }),
      { numRuns: 3000 },
    );
  });
});
