// Exact conversion of a value to a type, outside any tree: the same rule, and the same
// errors, as a write of the value to a node of that type (include/grove/forms.h).
import { native } from '../native.js';
import { type LeafValue, type TypeName, typeIdOf } from '../types.js';

/** The value converted exactly to `type` in its JavaScript form, or TYPE_MISMATCH naming both types. */
export function convert(value: LeafValue, type: TypeName): LeafValue {
  return native.convertValue(value, typeIdOf(type, 'convert()'));
}
