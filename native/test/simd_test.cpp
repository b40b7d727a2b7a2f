// The kernels of grove/simd.h, scalar and AVX2, against plain loops written here, on the
// lengths around the vector widths (0, 1, 63, 64, 65) and 1M, from aligned and unaligned
// starting points, with NaN and negative values; and the array operations on top.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "grove/array_ops.h"
#include "grove/simd.h"

using namespace grove;

namespace {

std::vector<simd::Isa> isas() {
  std::vector<simd::Isa> out{simd::Isa::kScalar};
  if (simd::best_isa() == simd::Isa::kAvx2) out.push_back(simd::Isa::kAvx2);
  return out;
}

template <class T>
std::vector<T> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-100, 100);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

bool close(double a, double b, std::size_t n) {
  double tolerance = 1e-12 * static_cast<double>(n + 1) * 100 * 100;
  return std::fabs(a - b) <= tolerance;
}

template <class T>
void check_kernels(std::size_t n, std::size_t offset) {
  std::vector<T> xs = random_values<T>(n + offset, static_cast<unsigned>(n));
  std::vector<T> ys = random_values<T>(n + offset, static_cast<unsigned>(n + 1));
  const T* x = xs.data() + offset;
  const T* y = ys.data() + offset;
  double sum = 0, dot = 0;
  T lo = n ? x[0] : 0, hi = lo;
  for (std::size_t i = 0; i < n; ++i) {
    sum += x[i];
    dot += static_cast<double>(x[i]) * static_cast<double>(y[i]);
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  for (simd::Isa isa : isas()) {
    CHECK(close(simd::sum(x, n, isa), sum, n));
    CHECK(close(simd::dot(x, y, n, isa), dot, n));
    if (n > 0) {
      CHECK(simd::min(x, n, isa) == lo);
      CHECK(simd::max(x, n, isa) == hi);
    }
    std::vector<T> out(n + 1, T(-1));
    T a = static_cast<T>(0.75);
    simd::scale(out.data(), a, x, n, isa);
    bool scaled = out[n] == T(-1);  // nothing written past the end
    for (std::size_t i = 0; i < n; ++i) scaled = scaled && out[i] == static_cast<T>(a * x[i]);
    CHECK(scaled);
    simd::axpy(out.data(), a, x, y, n, isa);
    bool axpyed = out[n] == T(-1);
    for (std::size_t i = 0; i < n; ++i) axpyed = axpyed && out[i] == static_cast<T>(a * x[i] + y[i]);
    CHECK(axpyed);
  }
}

template <class T>
void check_nan_wins(std::size_t n, std::size_t at) {
  std::vector<T> v = random_values<T>(n, 7);
  v[at] = std::numeric_limits<T>::quiet_NaN();
  for (simd::Isa isa : isas()) {
    CHECK(std::isnan(simd::min(v.data(), n, isa)));
    CHECK(std::isnan(simd::max(v.data(), n, isa)));
    CHECK(std::isnan(simd::sum(v.data(), n, isa)));
  }
}

Value array_value(TypeId type, Element element, std::initializer_list<double> numbers) {
  ArrayRef a = ArrayRef::adopt(ArrayData::allocate(element, numbers.size()));
  std::size_t i = 0;
  for (double x : numbers) {
    switch (element) {
      case Element::kF32: a->as<float>()[i] = static_cast<float>(x); break;
      case Element::kF64: a->as<double>()[i] = x; break;
      case Element::kI32: a->as<int32_t>()[i] = static_cast<int32_t>(x); break;
      case Element::kI16: a->as<int16_t>()[i] = static_cast<int16_t>(x); break;
      default: a->as<uint8_t>()[i] = static_cast<uint8_t>(x); break;
    }
    ++i;
  }
  return Value::array_of(type, std::move(a));
}

}  // namespace

TEST(kernels_match_plain_loops_on_every_length) {
  for (std::size_t n : {0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 63, 64, 65, 1000}) {
    for (std::size_t offset : {0, 1, 3}) {
      check_kernels<float>(n, offset);
      check_kernels<double>(n, offset);
    }
  }
  check_kernels<float>(1 << 20, 0);
  check_kernels<double>(1 << 20, 1);
}

TEST(a_nan_anywhere_makes_min_and_max_nan) {
  for (std::size_t at : {0, 5, 62, 63, 64}) {
    check_nan_wins<float>(65, at);
    check_nan_wins<double>(65, at);
  }
}

TEST(array_operations_on_every_element_kind) {
  Value f = array_value(type::kF32Array, Element::kF32, {1.5, -2, 4});
  CHECK(array_sum(f).as_f64() == 3.5);
  CHECK(array_dot(f, f).as_f64() == 2.25 + 4 + 16);
  CHECK(array_min(f).type == type::kF32 && array_min(f).as_f32() == -2);
  CHECK(array_max(f).as_f32() == 4);
  Value scaled = array_scale(Value::f64(2), f);
  CHECK(scaled.type == type::kF32Array && scaled.array->as<float>()[0] == 3 && scaled.array.get() != f.array.get());
  CHECK(f.array->as<float>()[0] == 1.5f);  // the input buffer is never written
  Value axpy = array_axpy(Value::f64(2), f, f);
  CHECK(axpy.array->as<float>()[2] == 12);

  Value u = array_value(type::kU8Array, Element::kU8, {200, 100, 0});
  CHECK(array_sum(u).type == type::kI64 && array_sum(u).as_i64() == 300);
  CHECK(array_min(u).type == type::kU8 && array_min(u).bits == 0);
  CHECK_THROWS(array_scale(Value::i64(2), u), ErrorCode::kTypeMismatch, "element 0 of the result is out of range for u8array");
  CHECK_THROWS(array_scale(Value::f64(0.5), u), ErrorCode::kTypeMismatch, "integer factor");
  Value i = array_value(type::kI32Array, Element::kI32, {2147483647, 2147483647});
  CHECK(array_dot(i, i).as_i64() == 2 * int64_t{2147483647} * 2147483647);
  CHECK(array_sum(array_value(type::kI16Array, Element::kI16, {-32768, -1})).as_i64() == -32769);

  Value empty = Value::array_of(type::kF64Array, {});
  CHECK(array_sum(empty).as_f64() == 0 && array_dot(empty, empty).as_f64() == 0);
  CHECK(array_min(empty).type == type::kNull && array_max(empty).type == type::kNull);
  CHECK_THROWS(array_dot(f, u), ErrorCode::kTypeMismatch, "two arrays of one type");
  CHECK_THROWS(array_dot(f, array_value(type::kF32Array, Element::kF32, {1})), ErrorCode::kInvalidArgument, "one length");
  CHECK_THROWS(array_sum(Value::f64(1)), ErrorCode::kTypeMismatch, "sum() works on");

  Value grown = array_resized(f, 5);
  CHECK(grown.array->length() == 5 && grown.array->as<float>()[2] == 4 && grown.array->as<float>()[4] == 0);
  Value shrunk = array_resized(f, 1);
  CHECK(shrunk.array->length() == 1 && shrunk.array->as<float>()[0] == 1.5f);
  CHECK(!array_resized(f, 0).array);
  CHECK(reinterpret_cast<uintptr_t>(grown.array->data()) % 64 == 0);
}

int main() {
  std::printf("kernels: %s\n", simd::isa_name(simd::best_isa()));
  return check::run_all();
}
