// PhaseRows: a channels-first transposed convolution with stride 2 along W, computed by deconv's
// own AVX2 kernel a whole output row at a time, with no reorder of x or y.
//
// PhaseKernel works channels last, so channels first it reorders x on the way in and y on the way
// out: on 3d-k3s2 (8 MiB of y) the reorders took 1.2 ms of 7. Here the vector lanes run along W
// instead of along the channels. Along W, output ow = 2j + p belongs to phase p; each phase's
// outputs j, j + 1, ... read inputs j + offset, j + 1 + offset, ... through each of its taps, so
// eight consecutive outputs of a phase are eight consecutive inputs times one weight: a broadcast
// weight and a vector load of x per tap, for each output channel. The kernel computes 16 outputs
// of one W phase for up to 6 output channels in 12 AVX registers, running down the input channels
// and the D and H taps of the row's phase; phase 0's sums wait in the L1 cache for phase 1's,
// which interleaves the two and stores 32 consecutive outputs of the row. One call per row takes
// each block of output channels along the whole row, its weights in the L1 cache meanwhile.
//
// On 2 threads, in the same process (NCHW): 3d-k3s2 5.4 ms against PhaseKernel's 6.4 with its
// reorders, unet-3-b1 6.1 against 7.3, unet-2-b1 5.8 against 6.4. Plans time this way against the
// others; it also wins on dcgan-g4 and g5, unet-1 and 4, style-up-64, 1d-long and 3d-unet.
//
// x rows are first copied, per work item, into a zero-padded buffer [row][channel][W] (their
// channel planes lie 4 KiB and more apart in x, all in one set of the L1 cache, and the padding
// stands for the inputs outside x along W). Along D and H, a tap outside x is skipped for the
// whole row.
// Needs AVX2 and FMA (avx2_kernels.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../core/aligned_vector.h"
#include "../core/phases.h"
#include "../core/problem.h"
#include "own_way.h"
#include "plan.h"

namespace deconv::onednn {

class PhaseRows final : public OwnWay {
 public:
  // Output channels per kernel block; and the outputs j of each W phase per kernel call (two
  // vectors: 32 consecutive outputs of a row).
  static constexpr int64_t kChannels = 6;
  static constexpr int64_t kChunk = 16;

  // Whether the problem has this way's shape: channels first, one group, stride 2 along W with 1 to
  // 3 taps in each W phase, at most 64 D × H taps per phase; and the CPU the kernel.
  static bool supports(const Problem& problem);
  // Whether the rows are long enough to be worth timing: more than 8 outputs per W phase (at 8,
  // half the lanes of each call idle: dcgan-g3 at batch 1 ran 0.79 ms against PhaseKernel's 0.43).
  static bool worthTiming(const Problem& problem);

  // Throws deconv::Error where the problem is not supported or for bf16 math.
  PhaseRows(const Problem& problem, MathMode math);

  // w as pack() made it.
  void executePacked(const float* x, const float* packed, const float* bias, float* y) const override;
  // Per D × H phase and block of 3 output channels: [D × H tap][c][channel][W tap], W taps of
  // phase 0 first.
  void pack(const float* w, float* out) const override;
  std::size_t packedElements() const override { return packedElements_; }
  const char* implementation() const override { return "deconv:phase_rows (AVX2 kernel along W, whole rows of y in place)"; }

 private:
  struct DhPhase {
    int64_t phase[2] = {0, 0};  // along D and H
    std::size_t packedAt = 0;   // floats into the packed weights
    int64_t taps = 0;           // D taps × H taps
  };

  void run(const float* x, const float* packed, const float* bias, float* y) const;
  // A work item: the calls [chunk[0], chunk[1]) along output rows [oh[0], oh[1]) of the planes
  // [od[0], od[1]) of image n.
  struct Item {
    int64_t n = 0, od[2] = {0, 0}, oh[2] = {0, 0}, chunk[2] = {0, 0};
  };
  // A thread's buffers: the staged x rows (cache-line aligned).
  struct Scratch {
    AlignedVector<float> stage;
  };
  void computeItem(const Item& item, const float* x, const float* packed, const float* bias, float* y, Scratch& scratch) const;

  Problem problem_;
  std::vector<PhaseAxisTaps> dh_[2];     // [axis D/H][phase]: each phase's taps along D and along H
  std::vector<DhPhase> dhPhases_;   // (pd, ph), row-major
  int64_t wTaps_[2][3] = {};        // kernel index of each W tap, phase 0 then phase 1
  int64_t wColumn_[2][3] = {};      // its offset in the staged row (input offset − the least)
  int wCount_[2] = {0, 0};          // W taps per phase
  int64_t least_ = 0, span_ = 0;    // the least W input offset, and the most less the least
  int64_t chunks_ = 0;              // calls along a row (kChunk outputs of each W phase each)
  std::vector<int64_t> blockStart_; // first output channel of each block of the kernel (and M)
  int64_t odRun_ = 1, ohRun_ = 1;   // planes (D) and rows (H) per work item
  int64_t chunkRun_ = 1;            // calls along a row per work item
  std::size_t packedElements_ = 0;
};

}  // namespace deconv::onednn
