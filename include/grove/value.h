// A leaf value outside the tree: its type and either up to 64 bits (integers, floats,
// bool, vint, ipv4, vec4uc), a byte string (str, bytes, the packed numbers of vec2, vec3,
// mat3x3 and rect, the canonical bytes of the chain types), or a shared SIMD array. Reads
// and writes convert between types only where the conversion is exact, and otherwise
// throw a TypeMismatch that names both types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "grove/array.h"
#include "grove/types.h"

namespace grove {

struct Value {
  Value() = default;
  Value(TypeId type_id, uint64_t inline_bits, std::string bytes = {}, ArrayRef elements = {})
      : type(type_id), bits(inline_bits), blob(std::move(bytes)), array(std::move(elements)) {}

  TypeId type = type::kNull;
  uint64_t bits = 0;  // integers sign- or zero-extended; f32 as float bits; f64 as double bits
  std::string blob;   // str (UTF-8), bytes, vectors' packed numbers, chain types' bytes
  ArrayRef array;     // SIMD arrays (null: empty)

  static Value null() { return {}; }
  static Value boolean(bool b) { return {type::kBool, b ? 1u : 0u, {}}; }
  static Value i64(int64_t v) { return {type::kI64, static_cast<uint64_t>(v), {}}; }
  static Value u64(uint64_t v) { return {type::kU64, v, {}}; }
  static Value f64(double v);
  static Value f32(float v);
  static Value str(std::string_view s) { return {type::kStr, 0, std::string(s), {}}; }
  static Value bytes(std::string_view b) { return {type::kBytes, 0, std::string(b), {}}; }
  // An array value of an array type (its element must match the type's).
  static Value array_of(TypeId type, ArrayRef array) { return {type, 0, {}, std::move(array)}; }

  int64_t as_i64() const { return static_cast<int64_t>(bits); }
  double as_f64() const;
  float as_f32() const;
  // What a zero-initialised node of the value's type holds: 0, false, "", no bytes, an
  // empty array, or a vector of zeros.
  bool is_zero() const;

  // A short rendering for error messages: `300`, `-1.5`, `"abc"`, `[1, 2, 3]` (cut at 40
  // bytes or 8 elements), `f32array of 1000000 elements`.
  std::string describe() const;
};

// The value converted to type `to`, exactly, or TypeMismatch. Numbers convert when in
// range and representable (vint counts as a u64); str to bytes gives its UTF-8; the other
// conversions are those of grove/forms.h (vectors and arrays element by element, the
// chain and geometry types to and from their text and byte forms).
Value convert(const Value& v, TypeId to);

// Three-way comparison for find and sort: numbers by value across integer and float
// types, vectors and arrays element by element (any two), str and bytes bytewise, bool
// false < true, two values of one other type by their bytes (chain types) or bits (ipv4),
// and a str with a value of a type that has a text form in that type (a hash member with
// its hex). kUnordered when the two are not comparable (different kinds, or NaN).
enum class Ordering { kLess, kEqual, kGreater, kUnordered };
Ordering compare(const Value& a, const Value& b);

// The value a zero-initialised node of this type holds.
Value zero_value(TypeId type);

}  // namespace grove
