// What deconv's own AVX2 kernels (PhaseKernel, PhaseRows) need: x86-64 code compiled with GCC's or
// Clang's target attribute (the addon itself is built for plain x86-64), and a CPU with AVX2 and
// FMA, checked at run time. Elsewhere their ways are simply not offered.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DECONV_AVX2_KERNELS 1
#include <immintrin.h>
#else
#define DECONV_AVX2_KERNELS 0
#endif

namespace deconv::onednn {

// Whether the kernels are built and this CPU runs them.
inline bool cpuHasAvx2Kernels() {
#if DECONV_AVX2_KERNELS
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

}  // namespace deconv::onednn
