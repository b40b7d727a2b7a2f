// Numeric kernels over the elements of f32 and f64 arrays, in two instruction sets:
// portable scalar code, and AVX2 (8 f32 or 4 f64 lanes, unaligned loads, so any pointer
// and any length work; the elements past the last whole vector run through scalar code).
// best_isa() picks AVX2 when the CPU has it (__builtin_cpu_supports), unless the
// environment variable GROVE_SIMD=scalar asks for the fallback.
//
// Sums and dot products accumulate in double in both; the AVX2 code keeps 16 partial
// sums, so the two may differ in the last bits. scale and axpy compute in the element
// type with one rounding per operation (no fused multiply-add), identically in both.
// min and max return NaN when any element is NaN, and need n > 0.
#pragma once

#include <cstddef>

namespace grove::simd {

enum class Isa { kScalar, kAvx2 };

Isa best_isa();
const char* isa_name(Isa isa);  // "scalar", "avx2"

double sum(const float* x, std::size_t n, Isa isa = best_isa());
double sum(const double* x, std::size_t n, Isa isa = best_isa());
double dot(const float* x, const float* y, std::size_t n, Isa isa = best_isa());
double dot(const double* x, const double* y, std::size_t n, Isa isa = best_isa());
float min(const float* x, std::size_t n, Isa isa = best_isa());
double min(const double* x, std::size_t n, Isa isa = best_isa());
float max(const float* x, std::size_t n, Isa isa = best_isa());
double max(const double* x, std::size_t n, Isa isa = best_isa());
// out[i] = a * x[i]
void scale(float* out, float a, const float* x, std::size_t n, Isa isa = best_isa());
void scale(double* out, double a, const double* x, std::size_t n, Isa isa = best_isa());
// out[i] = a * x[i] + y[i]
void axpy(float* out, float a, const float* x, const float* y, std::size_t n, Isa isa = best_isa());
void axpy(double* out, double a, const double* x, const double* y, std::size_t n, Isa isa = best_isa());

}  // namespace grove::simd
