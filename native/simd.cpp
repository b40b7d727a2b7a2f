#include "grove/simd.h"

#include <immintrin.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace grove::simd {
namespace {

#define GROVE_AVX2 __attribute__((target("avx2")))

// --- Scalar: the reference every AVX2 kernel is tested against. ---

template <class T>
double sum_scalar(const T* x, std::size_t n) {
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += x[i];
  return total;
}

template <class T>
double dot_scalar(const T* x, const T* y, std::size_t n) {
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * static_cast<double>(y[i]);
  return total;
}

// Min (want_max false) or max over x[from, n), starting from `best`; NaN wins.
template <class T>
T extreme_scalar(const T* x, std::size_t from, std::size_t n, T best, bool want_max) {
  for (std::size_t i = from; i < n; ++i) {
    if (std::isnan(x[i])) return x[i];
    if (want_max ? x[i] > best : x[i] < best) best = x[i];
  }
  return best;
}

template <class T>
void scale_scalar(T* out, T a, const T* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a * x[i];
}

template <class T>
void axpy_scalar(T* out, T a, const T* x, const T* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a * x[i] + y[i];
}

// --- AVX2 ---

GROVE_AVX2 double horizontal_sum(__m256d v) {
  double lanes[4];
  _mm256_storeu_pd(lanes, v);
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

// Each kernel is one template over the element type, float or double. Sums and dot
// products accumulate four doubles per register whatever the element type; min, max,
// scale and axpy work in the element type, 8 float lanes (__m256) or 4 double lanes
// (__m256d), through these overloads, which inline to the intrinsics they wrap.

GROVE_AVX2 __m256d four_doubles(const float* x) { return _mm256_cvtps_pd(_mm_loadu_ps(x)); }
GROVE_AVX2 __m256d four_doubles(const double* x) { return _mm256_loadu_pd(x); }

GROVE_AVX2 __m256 load(const float* x) { return _mm256_loadu_ps(x); }
GROVE_AVX2 __m256d load(const double* x) { return _mm256_loadu_pd(x); }
GROVE_AVX2 void store(float* out, __m256 v) { _mm256_storeu_ps(out, v); }
GROVE_AVX2 void store(double* out, __m256d v) { _mm256_storeu_pd(out, v); }
GROVE_AVX2 __m256 splat(float a) { return _mm256_set1_ps(a); }
GROVE_AVX2 __m256d splat(double a) { return _mm256_set1_pd(a); }
GROVE_AVX2 __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
GROVE_AVX2 __m256d add(__m256d a, __m256d b) { return _mm256_add_pd(a, b); }
GROVE_AVX2 __m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
GROVE_AVX2 __m256d mul(__m256d a, __m256d b) { return _mm256_mul_pd(a, b); }
GROVE_AVX2 __m256 lane_min(__m256 a, __m256 b) { return _mm256_min_ps(a, b); }
GROVE_AVX2 __m256d lane_min(__m256d a, __m256d b) { return _mm256_min_pd(a, b); }
GROVE_AVX2 __m256 lane_max(__m256 a, __m256 b) { return _mm256_max_ps(a, b); }
GROVE_AVX2 __m256d lane_max(__m256d a, __m256d b) { return _mm256_max_pd(a, b); }
// `seen` with the lanes of v that are NaN (unordered with themselves) set.
GROVE_AVX2 __m256 add_nan_lanes(__m256 seen, __m256 v) { return _mm256_or_ps(seen, _mm256_cmp_ps(v, v, _CMP_UNORD_Q)); }
GROVE_AVX2 __m256d add_nan_lanes(__m256d seen, __m256d v) { return _mm256_or_pd(seen, _mm256_cmp_pd(v, v, _CMP_UNORD_Q)); }
GROVE_AVX2 bool any_lane(__m256 mask) { return _mm256_movemask_ps(mask) != 0; }
GROVE_AVX2 bool any_lane(__m256d mask) { return _mm256_movemask_pd(mask) != 0; }

template <class T>
constexpr std::size_t kLanes = sizeof(__m256) / sizeof(T);

template <class T>
GROVE_AVX2 double sum_avx2(const T* x, std::size_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;  // four chains hide the add latency
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_pd(a0, four_doubles(x + i));
    a1 = _mm256_add_pd(a1, four_doubles(x + i + 4));
    a2 = _mm256_add_pd(a2, four_doubles(x + i + 8));
    a3 = _mm256_add_pd(a3, four_doubles(x + i + 12));
  }
  double total = horizontal_sum(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  return total + sum_scalar(x + i, n - i);
}

template <class T>
GROVE_AVX2 __m256d product(const T* x, const T* y) {
  return _mm256_mul_pd(four_doubles(x), four_doubles(y));
}

template <class T>
GROVE_AVX2 double dot_avx2(const T* x, const T* y, std::size_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_pd(a0, product(x + i, y + i));
    a1 = _mm256_add_pd(a1, product(x + i + 4, y + i + 4));
    a2 = _mm256_add_pd(a2, product(x + i + 8, y + i + 8));
    a3 = _mm256_add_pd(a3, product(x + i + 12, y + i + 12));
  }
  double total = horizontal_sum(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  return total + dot_scalar(x + i, y + i, n - i);
}

// vminps/vmaxps (and the pd forms) return their second operand when either is NaN, so
// NaNs are tracked apart: `nans` collects the lanes that were NaN.
template <class T>
GROVE_AVX2 T extreme_avx2(const T* x, std::size_t n, bool want_max) {
  auto best = splat(x[0]);
  decltype(best) nans{};
  std::size_t i = 0;
  for (; i + kLanes<T> <= n; i += kLanes<T>) {
    auto v = load(x + i);
    nans = add_nan_lanes(nans, v);
    best = want_max ? lane_max(best, v) : lane_min(best, v);
  }
  if (any_lane(nans)) return static_cast<T>(std::nan(""));
  T lanes[kLanes<T>];
  store(lanes, best);
  return extreme_scalar(x, i, n, extreme_scalar(lanes, 0, kLanes<T>, lanes[0], want_max), want_max);
}

template <class T>
GROVE_AVX2 void scale_avx2(T* out, T a, const T* x, std::size_t n) {
  auto va = splat(a);
  std::size_t i = 0;
  for (; i + kLanes<T> <= n; i += kLanes<T>) store(out + i, mul(va, load(x + i)));
  scale_scalar(out + i, a, x + i, n - i);
}

template <class T>
GROVE_AVX2 void axpy_avx2(T* out, T a, const T* x, const T* y, std::size_t n) {
  auto va = splat(a);
  std::size_t i = 0;
  for (; i + kLanes<T> <= n; i += kLanes<T>) store(out + i, add(mul(va, load(x + i)), load(y + i)));
  axpy_scalar(out + i, a, x + i, y + i, n - i);
}

Isa detect() {
  const char* forced = std::getenv("GROVE_SIMD");
  if (forced && std::strcmp(forced, "scalar") == 0) return Isa::kScalar;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? Isa::kAvx2 : Isa::kScalar;
}

}  // namespace

Isa best_isa() {
  static const Isa isa = detect();
  return isa;
}

const char* isa_name(Isa isa) { return isa == Isa::kAvx2 ? "avx2" : "scalar"; }

double sum(const float* x, std::size_t n, Isa isa) { return isa == Isa::kAvx2 ? sum_avx2(x, n) : sum_scalar(x, n); }
double sum(const double* x, std::size_t n, Isa isa) { return isa == Isa::kAvx2 ? sum_avx2(x, n) : sum_scalar(x, n); }

double dot(const float* x, const float* y, std::size_t n, Isa isa) {
  return isa == Isa::kAvx2 ? dot_avx2(x, y, n) : dot_scalar(x, y, n);
}
double dot(const double* x, const double* y, std::size_t n, Isa isa) {
  return isa == Isa::kAvx2 ? dot_avx2(x, y, n) : dot_scalar(x, y, n);
}

float min(const float* x, std::size_t n, Isa isa) {
  return isa == Isa::kAvx2 ? extreme_avx2(x, n, false) : extreme_scalar(x, 0, n, x[0], false);
}
double min(const double* x, std::size_t n, Isa isa) {
  return isa == Isa::kAvx2 ? extreme_avx2(x, n, false) : extreme_scalar(x, 0, n, x[0], false);
}
float max(const float* x, std::size_t n, Isa isa) {
  return isa == Isa::kAvx2 ? extreme_avx2(x, n, true) : extreme_scalar(x, 0, n, x[0], true);
}
double max(const double* x, std::size_t n, Isa isa) {
  return isa == Isa::kAvx2 ? extreme_avx2(x, n, true) : extreme_scalar(x, 0, n, x[0], true);
}

void scale(float* out, float a, const float* x, std::size_t n, Isa isa) {
  isa == Isa::kAvx2 ? scale_avx2(out, a, x, n) : scale_scalar(out, a, x, n);
}
void scale(double* out, double a, const double* x, std::size_t n, Isa isa) {
  isa == Isa::kAvx2 ? scale_avx2(out, a, x, n) : scale_scalar(out, a, x, n);
}
void axpy(float* out, float a, const float* x, const float* y, std::size_t n, Isa isa) {
  isa == Isa::kAvx2 ? axpy_avx2(out, a, x, y, n) : axpy_scalar(out, a, x, y, n);
}
void axpy(double* out, double a, const double* x, const double* y, std::size_t n, Isa isa) {
  isa == Isa::kAvx2 ? axpy_avx2(out, a, x, y, n) : axpy_scalar(out, a, x, y, n);
}

}  // namespace grove::simd
