// PhaseConvolutions: a strided transposed convolution as one forward convolution per output
// phase ("sub-pixel" decomposition), computed channels last (a channels-first x is reordered on
// the way in, and y written back channels first by the interleaving copy).
//
// Along an axis with stride s, the outputs o = p + s·j of phase p (0 ≤ p < s) are reached only by
// the taps k with (p + pb − k·d) divisible by s, from input i = j + (p + pb − k·d) / s. So each
// phase is an ordinary stride-1 convolution of x with the phase's taps (in reverse order, dilation
// d / gcd(s, d)), and the phases of all axes together cover y once. oneDNN's forward kernels run
// these at 85–95% of the FMA peak on 2×2 phase kernels, where its strided deconvolution kernels
// (which walk the full kernel and skip the taps a position does not have) reach 60–70%; the cost
// is one copy of the output, from the phases' dense results into their interleaved places.
// Bias and activation are each convolution's own (every output belongs to one phase); a phase
// that no tap reaches gets them alone.
//
// Threads share the work in one of two ways, as in GemmCol2im. Within each convolution: all
// threads run each phase's convolution over the whole batch, then the copy. Across images: each
// thread takes whole images, single-threaded convolutions and copy; no thread waits for another
// between the phases (style-up-64 at batch 4: 4 convolutions of 2.4–7 ms, each ending in a
// barrier), and an image's phase outputs are copied while still in the cache. Plans time both.
#pragma once

#include <dnnl.hpp>

#include <cstddef>
#include <vector>

#include "../core/problem.h"
#include "layout_reorder.h"
#include "own_way.h"
#include "plan.h"

namespace deconv::onednn {

class PhaseConvolutions final : public OwnWay {
 public:
  // Phases (the product of the strides) up to which the way is offered.
  static constexpr int64_t kMaxPhases = 16;
  // How the threads share the work (see above).
  enum class Threads { WithinEach, AcrossImages };
  // Whether the problem has this way's shape: a stride above 1 on some axis, at most kMaxPhases
  // phases.
  static bool supports(const Problem& problem);

  // Throws deconv::Error where oneDNN builds no convolution for some phase.
  PhaseConvolutions(const Problem& problem, MathMode math, Threads threads = Threads::WithinEach);

  // w as pack() made it.
  void executePacked(const float* x, const float* packed, const float* bias, float* y) const override;
  // Every phase's weights in the layout its convolution prefers, one after the other.
  void pack(const float* w, float* out) const override;
  std::size_t packedElements() const override { return packedElements_; }
  const char* implementation() const override;

 private:
  struct Phase {
    SpatialDims phase{0, 0, 0};                 // p per spatial axis
    SpatialDims size{0, 0, 0};                  // outputs of the phase per axis (J)
    SpatialDims skip{0, 0, 0};                  // outputs computed in front of them (see the constructor)
    SpatialDims stored{1, 1, 1};                // outputs the convolution computes: skip + size (+ some past them)
    std::vector<int64_t> taps[kMaxSpatialRank];  // kernel index of each convolution tap, per axis
    std::vector<int64_t> filterTaps;            // the convolution's taps (row-major) as taps of the filter
    bool empty = false;                         // no tap reaches it (or it has no outputs)
    dnnl::convolution_forward primitive;
    dnnl::memory::desc dst, weights, gathered, scratchpad;  // gathered: the taps, in w's order (gatheredDesc)
    dnnl::reorder weightsReorder;               // gathered → weights
    std::size_t packedAt = 0;                   // floats into the packed weights
    std::size_t outputAt = 0;                   // floats into the phases' output scratch
  };

  // The descriptor of a phase's gathered taps (dims: [G,] O, I, K'), in w's own order.
  dnnl::memory::desc gatheredDesc(const dnnl::memory::dims& weightDims, const Phase& phase) const;
  // The phase's taps of w, in w's order, into `out` (gathered.get_size() bytes).
  void gather(const Phase& phase, const float* w, float* out) const;
  void run(const float* x, const float* packed, const float* bias, float* y) const;
  void runAcrossImages(const float* x, const float* packed, const float* bias, float* y) const;
  // Every phase of problem_'s batch (across images: one image), on `stream`, with the given
  // scratch: phase outputs (outputElements_ floats), the convolutions' scratchpad, and channels
  // first, x reordered channels last (src_'s size).
  void compute(const float* x, const float* packed, const float* bias, float* y, dnnl::stream& stream, float* outputs,
               void* scratchpad, void* reorderedX) const;
  // Copies every phase's output into its places in y (phases without taps: activation(bias)).
  void interleave(const float* outputs, const float* bias, float* y) const;

  Problem problem_;           // across images: batch 1, the caller's batch in images_
  int64_t images_ = 1;
  bool acrossImages_ = false;
  std::vector<Phase> phases_;
  std::vector<int> phaseAt_;          // by phase number ((pd·sh + ph)·sw + pw): its index in phases_, or -1 (no outputs)
  dnnl::memory::desc src_, bias_;     // the convolutions' x (channels last) and bias
  LayoutReorder xToChannelsLast_;     // channels first: the caller's x into src_'s layout
  std::size_t packedElements_ = 0, outputElements_ = 0, gatheredBytes_ = 0, scratchpadBytes_ = 0;
};

}  // namespace deconv::onednn
