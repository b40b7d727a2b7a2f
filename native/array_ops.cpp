#include "grove/array_ops.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "grove/error.h"
#include "grove/simd.h"

namespace grove {
namespace {

__extension__ typedef __int128 Int128;

const TypeInfo& array_type(const Value& v, const char* op) {
  const TypeInfo& t = type_info(v.type);
  if (t.storage != Storage::kArray) {
    fail(ErrorCode::kTypeMismatch, std::string(op) + "() works on f32array, f64array, i32array, i16array and u8array, not " +
                                       type_name(v.type));
  }
  return t;
}

std::size_t length_of(const Value& v) { return v.array ? v.array->length() : 0; }

template <class T>
const T* elements(const Value& v) {
  return v.array ? v.array->as<T>() : nullptr;
}

void require_same_shape(const Value& x, const Value& y, const char* op) {
  array_type(y, op);
  if (x.type != y.type) {
    fail(ErrorCode::kTypeMismatch, std::string(op) + "() takes two arrays of one type, not " + type_name(x.type) + " and " +
                                       type_name(y.type));
  }
  if (length_of(x) != length_of(y)) {
    fail(ErrorCode::kInvalidArgument, std::string(op) + "() takes two arrays of one length, not " +
                                          std::to_string(length_of(x)) + " and " + std::to_string(length_of(y)));
  }
}

// Calls fn with a value of the element's C++ type (to pick a template instance).
template <class Fn>
decltype(auto) with_element(Element element, Fn&& fn) {
  switch (element) {
    case Element::kF32: return fn(float{});
    case Element::kF64: return fn(double{});
    case Element::kI32: return fn(int32_t{});
    case Element::kI16: return fn(int16_t{});
    default: return fn(uint8_t{});
  }
}

template <class T>
constexpr bool is_float_v = std::is_floating_point_v<T>;

// A new array value of x's type and `length` elements for `fill(T*)` to write.
template <class T, class Fill>
Value new_array(const Value& like, std::size_t length, Fill fill) {
  if (length == 0) return Value::array_of(like.type, {});
  ArrayRef out = ArrayRef::adopt(ArrayData::allocate(type_info(like.type).element, length));
  fill(out->as<T>());
  return Value::array_of(like.type, std::move(out));
}

// An integer result checked against the element range.
template <class T>
T in_range(Int128 result, std::size_t i, const char* op, const Value& x) {
  if (result < std::numeric_limits<T>::min() || result > std::numeric_limits<T>::max()) {
    fail(ErrorCode::kTypeMismatch, std::string(op) + "(): element " + std::to_string(i) + " of the result is out of range for " +
                                       type_name(x.type) + " (" + std::to_string(int64_t{std::numeric_limits<T>::min()}) + ".." +
                                       std::to_string(int64_t{std::numeric_limits<T>::max()}) + ")");
  }
  return static_cast<T>(result);
}

int64_t integer_factor(const Value& a, const char* op, const Value& x) {
  try {
    return convert(a, type::kI64).as_i64();
  } catch (const Error&) {
    fail(ErrorCode::kTypeMismatch,
         std::string(op) + "() of " + type_name(x.type) + " takes an integer factor, not " + a.describe());
  }
}

double float_factor(const Value& a, const char* op) {
  try {
    return convert(a, type::kF64).as_f64();
  } catch (const Error&) {
    fail(ErrorCode::kTypeMismatch, std::string(op) + "() takes a number factor, not " + a.describe());
  }
}

template <class T>
Value extreme(const Value& x, bool want_max) {
  std::size_t n = length_of(x);
  if (n == 0) return Value::null();
  const T* p = elements<T>(x);
  if constexpr (is_float_v<T>) {
    T best = want_max ? simd::max(p, n) : simd::min(p, n);
    return std::is_same_v<T, float> ? Value::f32(best) : Value::f64(best);
  } else {
    T best = want_max ? *std::max_element(p, p + n) : *std::min_element(p, p + n);
    TypeId scalar = std::is_same_v<T, int32_t> ? type::kI32 : std::is_same_v<T, int16_t> ? type::kI16 : type::kU8;
    return {scalar, static_cast<uint64_t>(static_cast<int64_t>(best)), {}, {}};
  }
}

}  // namespace

Value array_sum(const Value& x) {
  const TypeInfo& t = array_type(x, "sum");
  std::size_t n = length_of(x);
  return with_element(t.element, [&](auto tag) -> Value {
    using T = decltype(tag);
    if constexpr (is_float_v<T>) {
      return Value::f64(n == 0 ? 0.0 : simd::sum(elements<T>(x), n));
    } else {
      int64_t total = 0;  // |sum| < 2^31 * 2^32 = 2^63: at most 2^32 elements of at most 32 bits
      for (std::size_t i = 0; i < n; ++i) total += elements<T>(x)[i];
      return Value::i64(total);
    }
  });
}

Value array_dot(const Value& x, const Value& y) {
  const TypeInfo& t = array_type(x, "dot");
  require_same_shape(x, y, "dot");
  std::size_t n = length_of(x);
  return with_element(t.element, [&](auto tag) -> Value {
    using T = decltype(tag);
    if constexpr (is_float_v<T>) {
      return Value::f64(n == 0 ? 0.0 : simd::dot(elements<T>(x), elements<T>(y), n));
    } else {
      Int128 total = 0;
      for (std::size_t i = 0; i < n; ++i) total += Int128{elements<T>(x)[i]} * elements<T>(y)[i];
      if (total < std::numeric_limits<int64_t>::min() || total > std::numeric_limits<int64_t>::max()) {
        fail(ErrorCode::kLimitExceeded, "dot(): the exact result of these " + type_name(x.type) + "s does not fit in an i64");
      }
      return Value::i64(static_cast<int64_t>(total));
    }
  });
}

Value array_min(const Value& x) {
  return with_element(array_type(x, "min").element, [&](auto tag) { return extreme<decltype(tag)>(x, false); });
}

Value array_max(const Value& x) {
  return with_element(array_type(x, "max").element, [&](auto tag) { return extreme<decltype(tag)>(x, true); });
}

Value array_scale(const Value& a, const Value& x) {
  const TypeInfo& t = array_type(x, "scale");
  std::size_t n = length_of(x);
  return with_element(t.element, [&](auto tag) -> Value {
    using T = decltype(tag);
    const T* in = elements<T>(x);
    if constexpr (is_float_v<T>) {
      T factor = static_cast<T>(float_factor(a, "scale"));
      return new_array<T>(x, n, [&](T* out) { simd::scale(out, factor, in, n); });
    } else {
      int64_t factor = integer_factor(a, "scale", x);
      return new_array<T>(x, n, [&](T* out) {
        for (std::size_t i = 0; i < n; ++i) out[i] = in_range<T>(Int128{factor} * in[i], i, "scale", x);
      });
    }
  });
}

Value array_axpy(const Value& a, const Value& x, const Value& y) {
  const TypeInfo& t = array_type(x, "axpy");
  require_same_shape(x, y, "axpy");
  std::size_t n = length_of(x);
  return with_element(t.element, [&](auto tag) -> Value {
    using T = decltype(tag);
    const T* xs = elements<T>(x);
    const T* ys = elements<T>(y);
    if constexpr (is_float_v<T>) {
      T factor = static_cast<T>(float_factor(a, "axpy"));
      return new_array<T>(x, n, [&](T* out) { simd::axpy(out, factor, xs, ys, n); });
    } else {
      int64_t factor = integer_factor(a, "axpy", x);
      return new_array<T>(x, n, [&](T* out) {
        for (std::size_t i = 0; i < n; ++i) out[i] = in_range<T>(Int128{factor} * xs[i] + ys[i], i, "axpy", x);
      });
    }
  });
}

Value array_resized(const Value& x, std::size_t length) {
  const TypeInfo& t = array_type(x, "resize");
  std::size_t kept = std::min(length, length_of(x)) * element_size(t.element);
  if (length == 0) return Value::array_of(x.type, {});
  ArrayRef out = ArrayRef::adopt(ArrayData::allocate(t.element, length));
  if (kept > 0) std::memcpy(out->data(), x.array->data(), kept);
  std::memset(static_cast<char*>(out->data()) + kept, 0, out->bytes() - kept);
  return Value::array_of(x.type, std::move(out));
}

}  // namespace grove
