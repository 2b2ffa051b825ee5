// The sub-pixel (phase) decomposition of a strided transposed convolution along one axis, shared by
// the CPU ways that compute by phase (PhaseConvolutions, PhaseKernel, GemmCol2im's gather).
//
// Along an axis with stride s, dilation d and leading padding pb, output o = p + s·j (phase p,
// 0 ≤ p < s) is reached by tap k exactly when (p + pb − k·d) is divisible by s, from input
// i = j + (p + pb − k·d) / s. So each phase is an ordinary stride-1 correlation of x with its taps.
#pragma once

#include <cstdint>
#include <vector>

namespace deconv {

// A tap of a phase: output j of the phase reads input j + offset through kernel index k.
struct PhaseTap {
  int64_t k;
  int64_t offset;
};

// The taps of phase p, in ascending k (descending offset).
inline std::vector<PhaseTap> phaseTaps(int64_t p, int64_t stride, int64_t kernel, int64_t dilation, int64_t padBegin) {
  std::vector<PhaseTap> taps;
  for (int64_t k = 0; k < kernel; ++k) {
    const int64_t shift = p + padBegin - k * dilation;
    if (((shift % stride) + stride) % stride != 0) continue;
    // Exact division (shift is a multiple of stride), negative shifts included.
    taps.push_back(PhaseTap{k, shift >= 0 ? shift / stride : -(-shift / stride)});
  }
  return taps;
}

// The taps of one phase along one axis, as two lists: kernel indices and input offsets.
struct PhaseAxisTaps {
  std::vector<int64_t> taps, offsets;
};

// phaseTaps() as two lists.
inline PhaseAxisTaps phaseAxisTaps(int64_t p, int64_t stride, int64_t kernel, int64_t dilation, int64_t padBegin) {
  PhaseAxisTaps lists;
  for (const PhaseTap& tap : phaseTaps(p, stride, kernel, dilation, padBegin)) {
    lists.taps.push_back(tap.k);
    lists.offsets.push_back(tap.offset);
  }
  return lists;
}

// How many of `out` outputs belong to phase p (o = p + s·j < out).
inline int64_t phaseSize(int64_t p, int64_t stride, int64_t out) { return p < out ? (out - p + stride - 1) / stride : 0; }

}  // namespace deconv
