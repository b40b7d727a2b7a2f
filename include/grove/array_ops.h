// The SIMD array kernels as operations on array values of any element kind: f32 and f64
// arrays run the grove/simd.h kernels; i32, i16 and u8 arrays run exact integer loops.
// Each operation reads its inputs and, when it makes an array, writes a new buffer:
// buffers are never changed after they are published (grove/array.h).
#pragma once

#include <cstddef>

#include "grove/value.h"

namespace grove {

// f64 for float arrays; i64 for integer arrays (exact).
Value array_sum(const Value& x);
// x and y of one array type and length. f64 for float arrays; i64 for integer arrays, or
// LimitExceeded when the exact result does not fit.
Value array_dot(const Value& x, const Value& y);
// The smallest or largest element as its scalar type (f32, f64, i32, i16, u8); NaN when
// any element is NaN; null for an empty array.
Value array_min(const Value& x);
Value array_max(const Value& x);
// a * x, and a * x + y (x and y of one type and length), as a new array of x's type.
// Float arrays compute in their element type, with `a` rounded to it. Integer arrays
// need an integer `a` and refuse a result out of the element range (TypeMismatch).
Value array_scale(const Value& a, const Value& x);
Value array_axpy(const Value& a, const Value& x, const Value& y);
// The first `length` elements of x, zero-filled past its end.
Value array_resized(const Value& x, std::size_t length);

}  // namespace grove
