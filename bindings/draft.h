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
  // bigint → i64 (u64 beyond), Uint8Array → bytes, null → null. Undefined means no value
  // for an explicit type and is refused otherwise.
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

// Creates the drafted subtree, detached, in `tree`.
NodeRef build(Tree& tree, const Draft& draft);

}  // namespace grove::bindings
