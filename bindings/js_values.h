// Decoding JavaScript arguments and encoding results. Every argument is checked: a wrong
// type gives an InvalidArgument naming the function, the argument and what it got, never
// a crash. Nothing here calls into JavaScript (no coercion, no getters).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "grove/value.h"

namespace grove::bindings {

// A string as UTF-8; throws InvalidArgument, naming `what`, for one holding a lone surrogate:
// it has no UTF-8 form, and V8's U+FFFD in its place would make two strings one.
std::string string_from_js(napi_env env, napi_value value, const std::string& what);
// "number", "string", "array", "Uint8Array", "Float32Array", "object", ... for error messages.
std::string js_type_name(Napi::Env env, napi_value value);

// Argument i is info[i + offset]: node functions take the tree handle first (tree()), then
// the node's reference at 0 and their own arguments after it, numbered as before.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* function, std::size_t offset = 0)
      : info_(info), function_(function), offset_(offset) {}

  napi_value operator[](std::size_t i) const { return info_[i + offset_]; }
  double tree() const;  // info[0], a node function's tree handle
  bool has(std::size_t i) const;  // given and not undefined

  double handle(std::size_t i) const;
  std::string string(std::size_t i, const char* what) const;
  bool boolean(std::size_t i, const char* what) const;
  TypeId type_id(std::size_t i) const;                 // 0 means "infer from the value"
  uint64_t index(std::size_t i, const char* what) const;  // a non-negative integer number
  uint64_t id(std::size_t i) const;                    // a node id: number or bigint
  Value value(std::size_t i, const char* what) const;  // a leaf value

  [[noreturn]] void fail_type(std::size_t i, const char* what, const char* expected) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* function_;
  std::size_t offset_;
};

// A leaf value from JavaScript: number → f64, bigint → i64 (u64 beyond), boolean, string,
// Uint8Array → bytes, Float32Array → f32array, Float64Array → f64array, Int32Array →
// i32array, Int16Array → i16array, an array of numbers → f64array (which converts exactly
// to any vector or array type), null. `where` names the value in error messages.
Value value_from_js(Napi::Env env, napi_value value, const std::string& where);
// A Value as JavaScript: integers as numbers within ±(2^53 - 1) and BigInt beyond, floats
// as numbers, str as string, bytes as a new Uint8Array, vectors (vec2, vec3, vec4uc,
// mat3x3, rect) as arrays of numbers, SIMD arrays as new TypedArrays (Float32Array,
// Float64Array, Int32Array, Int16Array, Uint8Array), the other chain types and ipv4 as
// their text (grove/forms.h), null (and structured) as null.
Napi::Value value_to_js(Napi::Env env, const Value& value);
// A new TypedArray holding a copy of an array value's elements.
Napi::Value typed_array_copy(Napi::Env env, const Value& array);
// The TypedArray kind of an array element.
napi_typedarray_type typed_array_kind(Element element);
// An unsigned 64-bit integer (an id, a version): a number when exact, else a BigInt.
Napi::Value u64_to_js(Napi::Env env, uint64_t n);

}  // namespace grove::bindings
