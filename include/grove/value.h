// A leaf value outside the tree: its type and either up to 64 bits (integers, floats,
// bool) or a byte string (str, bytes). Reads and writes convert between types only where
// the conversion is exact, and otherwise throw a TypeMismatch that names both types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "grove/types.h"

namespace grove {

struct Value {
  TypeId type = type::kNull;
  uint64_t bits = 0;  // integers sign- or zero-extended; f32 as float bits; f64 as double bits
  std::string blob;   // str (UTF-8) and bytes

  static Value null() { return {}; }
  static Value boolean(bool b) { return {type::kBool, b ? 1u : 0u, {}}; }
  static Value i64(int64_t v) { return {type::kI64, static_cast<uint64_t>(v), {}}; }
  static Value u64(uint64_t v) { return {type::kU64, v, {}}; }
  static Value f64(double v);
  static Value f32(float v);
  static Value str(std::string_view s) { return {type::kStr, 0, std::string(s)}; }
  static Value bytes(std::string_view b) { return {type::kBytes, 0, std::string(b)}; }

  int64_t as_i64() const { return static_cast<int64_t>(bits); }
  double as_f64() const;
  float as_f32() const;

  // A short rendering for error messages: `300`, `-1.5`, `"abc"` (cut at 40 bytes).
  std::string describe() const;
};

// The value converted to type `to`, exactly, or TypeMismatch. Integers convert when in
// range; integers to floats when representable; floats to integers when integral and in
// range; f64 to f32 when representable; bool, str and bytes only to themselves, except
// str to bytes (its UTF-8 bytes).
Value convert(const Value& v, TypeId to);

// Three-way comparison for find and sort: numbers by value across integer and float
// types, str and bytes bytewise, bool false < true. Returns nullopt-like kUnordered when
// the two are not comparable (different kinds, or NaN).
enum class Ordering { kLess, kEqual, kGreater, kUnordered };
Ordering compare(const Value& a, const Value& b);

// The value a zero-initialised node of this type holds.
Value zero_value(TypeId type);

}  // namespace grove
