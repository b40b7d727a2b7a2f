// A subtree described by a JavaScript value (tree.set, createNode, add). The value is
// decoded in full into a Draft before any handle is resolved, because reading a JavaScript
// object can run its getters, and a getter could release the very handles being written.
#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <vector>

#include "grove/tree.h"

namespace grove::bindings {

struct Draft {
  std::string name;  // empty: generated from the id ("#<id>")
  TypeId type = type::kNull;
  bool inferred = false;  // the type came from the value, not from the caller
  bool filled = false;    // structured: the children came from a value (an object or array)
  std::optional<Value> value;
  std::vector<Draft> children;
};

class DraftReader {
 public:
  // object_prototype: Object.prototype of this environment (plain objects only).
  DraftReader(Napi::Env env, napi_value object_prototype, const char* function)
      : env_(env), object_prototype_(object_prototype), function_(function) {}

  // `type` is the requested node type, or 0 to infer it: object → object, array → list,
  // string → str, boolean → bool, integral number → i64, other numbers → f64,
  // bigint → i64 (u64 beyond), Uint8Array → bytes, Float32Array → f32array (and the
  // other TypedArrays of js_values.h), null → null. Undefined means no value for an
  // explicit type and is refused otherwise. A vector or array type takes an array of
  // numbers or a TypedArray as its value.
  Draft read(napi_value value, std::string name, TypeId type);

 private:
  void read_into(Draft& draft, napi_value value, TypeId type, int depth);
  void read_children(Draft& draft, napi_value value, bool array, int depth);
  std::string where() const;  // "value.a[0].b", for error messages

  Napi::Env env_;
  napi_value object_prototype_;
  const char* function_;
  std::vector<std::string> keys_;  // the key path being read
};

// Creates the drafted subtree, detached, in `tree`. Where a node is of an application type
// with a registered schema (grove/schema.h), its members whose types were inferred take
// the types the schema gives them (exactly, or TypeMismatch), and the members must then
// satisfy the schema; a node given with a value must have every required member.
NodeRef build(Tree& tree, Draft& draft);

}  // namespace grove::bindings
