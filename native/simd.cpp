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

GROVE_AVX2 double sum_avx2(const float* x, std::size_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;  // four chains hide the add latency
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
    a2 = _mm256_add_pd(a2, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)));
    a3 = _mm256_add_pd(a3, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12)));
  }
  double total = horizontal_sum(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  return total + sum_scalar(x + i, n - i);
}

GROVE_AVX2 double sum_avx2(const double* x, std::size_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_pd(a0, _mm256_loadu_pd(x + i));
    a1 = _mm256_add_pd(a1, _mm256_loadu_pd(x + i + 4));
    a2 = _mm256_add_pd(a2, _mm256_loadu_pd(x + i + 8));
    a3 = _mm256_add_pd(a3, _mm256_loadu_pd(x + i + 12));
  }
  double total = horizontal_sum(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  return total + sum_scalar(x + i, n - i);
}

GROVE_AVX2 __m256d product(const float* x, const float* y) {
  return _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), _mm256_cvtps_pd(_mm_loadu_ps(y)));
}

GROVE_AVX2 double dot_avx2(const float* x, const float* y, std::size_t n) {
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

GROVE_AVX2 double dot_avx2(const double* x, const double* y, std::size_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_pd(a0, _mm256_mul_pd(_mm256_loadu_pd(x + i), _mm256_loadu_pd(y + i)));
    a1 = _mm256_add_pd(a1, _mm256_mul_pd(_mm256_loadu_pd(x + i + 4), _mm256_loadu_pd(y + i + 4)));
    a2 = _mm256_add_pd(a2, _mm256_mul_pd(_mm256_loadu_pd(x + i + 8), _mm256_loadu_pd(y + i + 8)));
    a3 = _mm256_add_pd(a3, _mm256_mul_pd(_mm256_loadu_pd(x + i + 12), _mm256_loadu_pd(y + i + 12)));
  }
  double total = horizontal_sum(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  return total + dot_scalar(x + i, y + i, n - i);
}

// vminps/vmaxps return their second operand when either is NaN, so NaNs are tracked
// apart: `unordered` collects lanes that compared unordered with themselves.
GROVE_AVX2 float extreme_avx2(const float* x, std::size_t n, bool want_max) {
  __m256 best = _mm256_set1_ps(x[0]);
  __m256 unordered = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    unordered = _mm256_or_ps(unordered, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    best = want_max ? _mm256_max_ps(best, v) : _mm256_min_ps(best, v);
  }
  if (_mm256_movemask_ps(unordered) != 0) return std::nanf("");
  float lanes[8];
  _mm256_storeu_ps(lanes, best);
  return extreme_scalar(x, i, n, extreme_scalar(lanes, 0, 8, lanes[0], want_max), want_max);
}

GROVE_AVX2 double extreme_avx2(const double* x, std::size_t n, bool want_max) {
  __m256d best = _mm256_set1_pd(x[0]);
  __m256d unordered = _mm256_setzero_pd();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d v = _mm256_loadu_pd(x + i);
    unordered = _mm256_or_pd(unordered, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
    best = want_max ? _mm256_max_pd(best, v) : _mm256_min_pd(best, v);
  }
  if (_mm256_movemask_pd(unordered) != 0) return std::nan("");
  double lanes[4];
  _mm256_storeu_pd(lanes, best);
  return extreme_scalar(x, i, n, extreme_scalar(lanes, 0, 4, lanes[0], want_max), want_max);
}

GROVE_AVX2 void scale_avx2(float* out, float a, const float* x, std::size_t n) {
  __m256 va = _mm256_set1_ps(a);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(va, _mm256_loadu_ps(x + i)));
  scale_scalar(out + i, a, x + i, n - i);
}

GROVE_AVX2 void scale_avx2(double* out, double a, const double* x, std::size_t n) {
  __m256d va = _mm256_set1_pd(a);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(out + i, _mm256_mul_pd(va, _mm256_loadu_pd(x + i)));
  scale_scalar(out + i, a, x + i, n - i);
}

GROVE_AVX2 void axpy_avx2(float* out, float a, const float* x, const float* y, std::size_t n) {
  __m256 va = _mm256_set1_ps(a);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_mul_ps(va, _mm256_loadu_ps(x + i)), _mm256_loadu_ps(y + i)));
  }
  axpy_scalar(out + i, a, x + i, y + i, n - i);
}

GROVE_AVX2 void axpy_avx2(double* out, double a, const double* x, const double* y, std::size_t n) {
  __m256d va = _mm256_set1_pd(a);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    _mm256_storeu_pd(out + i, _mm256_add_pd(_mm256_mul_pd(va, _mm256_loadu_pd(x + i)), _mm256_loadu_pd(y + i)));
  }
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
