// Random JSON-RPC requests shaped like real ones, for the tests that feed a station what a
// careless or hostile client could send (station-bad-input, identity).
import fc from 'fast-check';

// Requests shaped like real ones: each method with its own params (required ones always),
// values mostly of the right kind, sometimes not, on paths that exist in the demo and some
// that cannot exist; plus, now and then, a foreign param, an unknown method or a bad envelope.
const name = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('settings', 'users', 'readings', 'volume', 'big', 'blob', 'ratio', 'nodix', 'n', 'x') },
  { weight: 1, arbitrary: fc.constantFrom('.', '..', '', '#21', 'a/b', '\u0000', 'x'.repeat(256)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const path = fc.array(name, { maxLength: 3 }).map((names) => names.join('/'));
const leaf = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('NaN', '-0', '18446744073709551615', '18446744073709551616', 'AAEC/w==', 'Z3JvdmU='),
);
const anything = fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
const typeName = fc.constantFrom('u8', 'i8', 'u64', 'i64', 'f32', 'f64', 'bytes', 'str', 'bool', 'null', 'object', 'list', 'u128');
const count = fc.integer({ min: -1, max: 20_000 });
const where = fc.record({ member: name, op: fc.constantFrom('=', '!=', '<', '>', '<=', '>=', '!'), value: leaf });
const typedValue = fc.record({ name: name, type: typeName, value: leaf });
const PARAMS: Record<string, fc.Arbitrary<unknown>> = {
  path,
  value: fc.oneof({ weight: 4, arbitrary: anything }, { weight: 1, arbitrary: typedValue }),
  expect: anything,
  args: anything,
  type: typeName,
  format: fc.constantFrom('plain', 'plain', 'typed', 'xml'),
  depth: count,
  offset: count,
  limit: count,
  ifVersion: fc.integer({ min: 0, max: 20_100 }),
  since: fc.integer({ min: 0, max: 20_100 }),
  by: fc.oneof(fc.integer({ min: -300, max: 300 }), fc.double(), fc.constantFrom('1', '-5', 'x', '99999999999999999999')),
  name,
  member: name,
  orderBy: name,
  subscription: fc.constantFrom('s1', 's2', 'none'),
  method: fc.constantFrom('add', 'reset', ''),
  token: fc.string({ maxLength: 10 }),
  descending: fc.boolean(),
  where,
  ifVersions: fc.dictionary(path, fc.integer({ min: 0, max: 20_100 }), { maxKeys: 2 }),
  signature: fc.record({ nonce: fc.integer(), sig: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 128 }) }),
};
const METHOD_PARAMS: Record<string, { required: string[]; optional: string[] }> = {
  'tree.get': { required: ['path'], optional: ['depth', 'format'] },
  'tree.list': { required: ['path'], optional: ['offset', 'limit'] },
  'tree.set': { required: ['path', 'value'], optional: ['type', 'ifVersion', 'format'] },
  'tree.patch': { required: ['path', 'value'], optional: [] },
  'tree.add': { required: ['path', 'value'], optional: ['name', 'type'] },
  'tree.delete': { required: ['path'], optional: ['ifVersion'] },
  'tree.find': { required: ['path'], optional: ['type', 'where', 'orderBy', 'descending', 'limit'] },
  'tree.sort': { required: ['path', 'member'], optional: ['descending'] },
  'tree.increment': { required: ['path'], optional: ['by'] },
  'tree.cas': { required: ['path', 'expect', 'value'], optional: [] },
  'tree.hash': { required: ['path'], optional: [] },
  'tree.subscribe': { required: ['path'], optional: ['since'] },
  'tree.unsubscribe': { required: [], optional: ['subscription', 'path'] },
  'node.invoke': { required: ['path', 'method'], optional: ['args'] },
  'station.info': { required: [], optional: [] },
  'rpc.discover': { required: [], optional: [] },
  auth: { required: ['token'], optional: [] },
};
const TRANSACTABLE = ['tree.set', 'tree.patch', 'tree.add', 'tree.delete', 'tree.sort', 'tree.increment', 'tree.cas'];
/** `arbitrary`, or undefined (left out of the JSON) `absent` times for every `present` times. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, absent = 2, present = 1) =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary });
const paramsOf = (method: string) => {
  const { required, optional } = METHOD_PARAMS[method]!;
  return fc.record({
    ...Object.fromEntries(required.map((key) => [key, PARAMS[key]!])),
    ...Object.fromEntries(optional.map((key) => [key, sometimes(PARAMS[key]!)])),
  });
};
const transactParams = fc.record(
  {
    ops: fc.array(
      fc.constantFrom(...TRANSACTABLE).chain((method) => fc.record({ method: fc.constant(method), params: paramsOf(method) })),
      { minLength: 1, maxLength: 4 },
    ),
    ifVersions: sometimes(PARAMS.ifVersions!),
  },
);
const paramsFor = (method: string) =>
  fc.oneof(
    { weight: 8, arbitrary: method === 'tree.transact' ? transactParams : Object.hasOwn(METHOD_PARAMS, method) ? paramsOf(method) : fc.constant({}) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...Object.keys(PARAMS)), anything, { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
const methodName = fc.oneof(
  { weight: 19, arbitrary: fc.constantFrom(...Object.keys(METHOD_PARAMS), 'tree.transact') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
export const rpcRequest = methodName.chain((method) =>
  fc.record({
    jsonrpc: fc.oneof({ weight: 19, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
    // undefined: a notification
    id: fc.oneof(fc.constant(undefined), fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null)),
    method: fc.constant(method),
    params: sometimes(paramsFor(method), 1, 9),
  }),
);
