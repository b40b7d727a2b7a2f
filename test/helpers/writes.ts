// Random writes of every write method on a handful of names, for the model-based tests
// (identity.model, identity.cluster): paths meet, children share names, and leaves stand
// where objects are asked for (those writes are refused, which is part of the model too).
import fc from 'fast-check';

export const name = fc.constantFrom('a', 'b', 'x', 'z', 'list');
export const path = fc.array(name, { minLength: 1, maxLength: 4 }).map((names) => names.join('/'));
export const leaf = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('s', 'txt'), fc.boolean());
export const value = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 1, arbitrary: fc.dictionary(name, leaf, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(name, fc.dictionary(name, leaf, { maxKeys: 2 }), { maxKeys: 2 }) },
);
export const write = fc.oneof(
  fc.record({ method: fc.constant('tree.set'), params: fc.record({ path, value }) }),
  fc.record({ method: fc.constant('tree.set'), params: fc.record({ path, value: fc.constantFrom('18446744073709551615', '9007199254740993'), type: fc.constant('u64') }) }),
  fc.record({ method: fc.constant('tree.add'), params: fc.record({ path, value, name: fc.option(name, { nil: undefined }) }, { requiredKeys: ['path', 'value'] }) }),
  fc.record({ method: fc.constant('tree.patch'), params: fc.record({ path, value: fc.dictionary(name, value, { minKeys: 1, maxKeys: 2 }) }) }),
  fc.record({ method: fc.constant('tree.delete'), params: fc.record({ path }) }),
  fc.record({ method: fc.constant('tree.sort'), params: fc.record({ path, member: name, descending: fc.boolean() }) }),
  fc.record({ method: fc.constant('tree.increment'), params: fc.record({ path }) }),
);

/** A tree.transact of a few of them. */
export const transact = fc.record({ method: fc.constant('tree.transact'), params: fc.record({ ops: fc.array(write, { minLength: 2, maxLength: 3 }) }) });
