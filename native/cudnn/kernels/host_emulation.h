// Compiles training.cu as host C++ so its kernels can be tested on a machine without a GPU
// (native/cudnn/kernels/training_kernels_test.cc, run by test/training-kernels.test.ts).
//
// Each block's threads run as real threads that meet at a std::barrier for __syncthreads, and
// blocks run one after another, so __shared__ (a function-local static here) is the block's own.
// It checks the kernels' arithmetic, indexing and reductions; what only a GPU can show (the PTX
// loading, launch limits, memory ordering) is left to the device script.
#pragma once

#define DECONV_HOST_EMULATION 1

#include <barrier>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(threads)
#define __shared__ static

struct EmulatedDim3 {
  unsigned x = 1, y = 1, z = 1;
};
inline thread_local EmulatedDim3 threadIdx;
inline thread_local EmulatedDim3 blockIdx;
inline EmulatedDim3 blockDim;
inline EmulatedDim3 gridDim;
inline std::barrier<>* emulatedBarrier = nullptr;

inline void __syncthreads() { emulatedBarrier->arrive_and_wait(); }

inline float __uint_as_float(unsigned int bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}
inline unsigned int __float_as_uint(float value) {
  unsigned int bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

namespace emulation {

// IEEE binary16 ⇄ float32, round to nearest even (what cvt.rn.f16.f32 does).
inline float halfToFloat(unsigned short h) {
  const unsigned sign = (h >> 15) & 1u, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  float magnitude;
  if (exponent == 0) magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31) magnitude = mantissa ? NAN : INFINITY;
  else magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  return sign ? -magnitude : magnitude;
}

inline unsigned short floatToHalf(float f) {
  const unsigned sign = std::signbit(f) ? 0x8000u : 0u;
  const float a = std::fabs(f);
  if (std::isnan(f)) return static_cast<unsigned short>(sign | 0x7e00u);
  if (a >= 65520.f) return static_cast<unsigned short>(sign | 0x7c00u);  // rounds to infinity
  // Scale so that one unit in the last place of the result is 1, then round to nearest even.
  int exponent;
  std::frexp(a, &exponent);  // a = m·2^exponent, m in [0.5, 1)
  const int e = std::max(exponent - 1, -14);  // the binade, subnormals below 2^-14
  const float units = std::nearbyint(std::ldexp(a, 10 - e));  // default rounding: to nearest even
  unsigned bits = static_cast<unsigned>(units);
  if (bits == 0) return static_cast<unsigned short>(sign);
  if (e == -14 && bits < 0x400u) return static_cast<unsigned short>(sign | bits);  // subnormal
  int biased = e + 15;
  if (bits >= 0x800u) {  // rounding carried into the next binade
    bits >>= 1;
    ++biased;
  }
  if (biased >= 31) return static_cast<unsigned short>(sign | 0x7c00u);
  return static_cast<unsigned short>(sign | (static_cast<unsigned>(biased) << 10) | (bits & 0x3ffu));
}

// Runs `kernel` over grid × block threads: each block's threads together, blocks in turn.
inline void launch(unsigned grid, unsigned block, const std::function<void()>& kernel) {
  gridDim = {grid, 1, 1};
  blockDim = {block, 1, 1};
  for (unsigned b = 0; b < grid; ++b) {
    std::barrier<> barrier(block);
    emulatedBarrier = &barrier;
    std::vector<std::thread> threads;
    threads.reserve(block);
    for (unsigned t = 0; t < block; ++t) {
      threads.emplace_back([&, b, t] {
        blockIdx = {b, 1, 1};
        threadIdx = {t, 1, 1};
        kernel();
      });
    }
    for (auto& thread : threads) thread.join();
    emulatedBarrier = nullptr;
  }
}

}  // namespace emulation
