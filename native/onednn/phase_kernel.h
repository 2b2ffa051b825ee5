// PhaseKernel: a strided transposed convolution computed by deconv's own AVX2 kernel straight
// into y: the phase decomposition of PhaseConvolutions without its copy. The kernel works channels
// last; channels first, x and y are reordered on the way in and out (by oneDNN).
//
// Along an axis with stride s, the outputs o = p + s·j of phase p are reached only by the taps k
// with (p + pb − k·d) divisible by s, from input i = j + (p + pb − k·d) / s. So output pixel
// (n, od, oh, ow) is a sum over its phase's taps of x[n, id, ih, iw, :] · W[tap][:, :], a dot
// product C deep for each of the M outputs: an implicit GEMM whose rows are output pixels. The
// kernel holds 6 pixels × 16 output channels in 12 AVX registers, runs down the taps and C
// broadcasting one x value per pixel and loading 16 packed weights, and writes the 6 pixels to
// their places in y (s·M apart): no phase outputs to copy, no barrier between phases. Out-of-range
// inputs along W read a row of zeros; along D and H the tap is skipped for the whole row.
//
// In the cache, the kernel runs as fast as oneDNN's forward convolutions on the same phases (90–
// 94 GFLOP/s of a core's 103); on a layer it saves their copy of y and the barrier after each
// phase (radford-2 at batch 16: 42 ms against 50; dcgan-g3 at batch 64: 26 against 29; about
// even on style-up). Plans time this way against the others.
// Needs AVX2 and FMA (avx2_kernels.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../core/problem.h"
#include "layout_reorder.h"
#include "own_way.h"
#include "plan.h"

namespace deconv::onednn {

class PhaseKernel final : public OwnWay {
 public:
  // Output channels per kernel block, and output pixels per kernel call.
  static constexpr int64_t kChannels = 16;
  static constexpr int kPixels = 6;

  // Whether the problem has this way's shape (one group) and the CPU the kernel.
  static bool supports(const Problem& problem);

  // Throws deconv::Error for bf16 math (the kernel is float32 only).
  PhaseKernel(const Problem& problem, MathMode math);

  // w as pack() made it.
  void executePacked(const float* x, const float* packed, const float* bias, float* y) const override;
  // For each phase and block of 16 output channels, its taps' weights as the kernel reads them:
  // [tap][c][16], zero past M.
  void pack(const float* w, float* out) const override;
  std::size_t packedElements() const override { return packedElements_; }
  const char* implementation() const override { return "deconv:phase_kernel (AVX2 kernel per output phase, writing y in place)"; }

 private:
  // One axis of a phase: its outputs p + s·j for j < size, and per tap (kernel index) the input
  // offset: output j reads input j + offset.
  struct PhaseAxis {
    int64_t phase = 0, size = 0;
    std::vector<int64_t> taps, offsets;
    int64_t interiorFrom = 0, interiorTo = 0;  // the outputs j whose every tap reads inside x
  };
  struct Phase {
    PhaseAxis axes[3];
    int64_t taps = 0;            // product of the axes' tap counts (0: no tap reaches the phase)
    std::size_t packedAt = 0;    // floats into the packed weights (blocks of taps · C · 16)
  };

  void run(const float* x, const float* packed, const float* bias, float* y) const;
  struct Buffers {
    const float* x;       // channels last
    const float* packed;  // pack()'s weights
    const float* bias;    // or null
    float* y;             // channels last
  };
  void compute(const Phase& phase, int64_t begin, int64_t end, int64_t blockBegin, int64_t blockEnd, int64_t c0, int64_t depth,
               const Buffers& buffers) const;

  Problem problem_;
  int64_t s_[3] = {1, 1, 1};
  int64_t blocks_ = 1;            // blocks of 16 output channels
  std::vector<Phase> phases_;
  bool prefetchX_ = false;        // see kPrefetchInputBytes
  int64_t stretches_ = 0;         // streaming order: work items per phase (the most any phase has)
  int64_t chunk_ = 0;             // blocked order (0: streaming): taps × input channels per chunk
  std::vector<float> zeros_;      // C zeros: the input where a tap falls outside x
  std::vector<int64_t> packStart_, packBlockStride_;  // per filter tap: see the constructor
  LayoutReorder xToChannelsLast_, yToChannelsFirst_;  // channels first: x on the way in, y on the way out
  std::size_t packedElements_ = 0;
};

}  // namespace deconv::onednn
