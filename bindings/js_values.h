// Decoding JavaScript arguments and encoding results. Every argument is checked: a wrong
// type gives an InvalidArgument naming the function, the argument and what it got, never
// a crash. Nothing here calls into JavaScript (no coercion, no getters).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "grove/value.h"

namespace grove::bindings {

// "number", "string", "array", "Uint8Array", "object", ... for error messages.
std::string js_type_name(Napi::Env env, napi_value value);

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* function) : info_(info), function_(function) {}

  napi_value operator[](std::size_t i) const { return info_[i]; }
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
};

// A leaf value from JavaScript: number → f64, bigint → i64 (u64 beyond), boolean, string,
// Uint8Array → bytes, null. `where` names the value in error messages.
Value value_from_js(Napi::Env env, napi_value value, const std::string& where);
// A Value as JavaScript: integers as numbers within ±(2^53 - 1) and BigInt beyond, floats
// as numbers, str as string, bytes as a new Uint8Array, null (and structured) as null.
Napi::Value value_to_js(Napi::Env env, const Value& value);
// An unsigned 64-bit integer (an id, a version): a number when exact, else a BigInt.
Napi::Value u64_to_js(Napi::Env env, uint64_t n);

}  // namespace grove::bindings
