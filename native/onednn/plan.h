// DeconvPlan: one transposed convolution, built once as a oneDNN deconvolution primitive.
//
// The plan owns everything that depends only on the problem: the primitive descriptor, the
// primitive, the memory descriptors of the caller's plain layouts, and the reorder that turns the
// caller's weights into the blocked layout the primitive prefers. Executing it only binds the
// caller's pointers (input and output are read and written in place).
#pragma once

#include <dnnl.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "../core/aligned_vector.h"
#include "../core/problem.h"

namespace deconv::onednn {

class GemmCol2im;

// How arithmetic is done inside the primitive; inputs and outputs are float32 either way.
enum class MathMode { Float32, Bf16 };

// Weights (and bias) already in the primitive's layout, owned here: made once by
// DeconvPlan::pack() for weights the caller promises not to change.
struct PackedWeights {
  AlignedVector<float> weights;  // the primitive's weights layout (may be blocked), cache-line aligned
  std::vector<float> bias;     // M values, or empty
};

class DeconvPlan {
 public:
  DeconvPlan(const Problem& problem, MathMode math);
  ~DeconvPlan();

  // Computes the problem: x and w in the problem's layouts, bias (M values) when hasBias, y
  // receives every output element. The weights are reordered into thread-local scratch.
  void execute(const float* x, const float* w, const float* bias, float* y) const;

  // Weights and bias reordered once into the primitive's layout.
  std::shared_ptr<const PackedWeights> pack(const float* w, const float* bias) const;
  void execute(const float* x, const PackedWeights& packed, float* y) const;

  // Bytes a PackedWeights of this plan holds (reported to V8 as external memory).
  std::size_t packedBytes() const;
  // oneDNN's name for the implementation it chose, e.g. "brg_conv:avx2+brgconv_strided:avx2".
  const char* implementation() const;

 private:
  // Which activation layouts the primitive works in. The caller's plain layouts need no reorder;
  // the other plain layout (channels first ⇄ last) or the layouts oneDNN prefers (possibly
  // blocked) cost a reorder in and out, which pays where the caller's layout only has a slow
  // kernel (NCHW on CPUs whose fast kernels want channels last, few output channels in NHWC).
  // Gemm, GemmInputFirst: not the deconvolution primitive at all but GemmCol2im (gemm_col2im.h),
  // its matrix product weights first or (channels last) input first.
  enum class Layouts { Caller, OtherPlain, Preferred, Gemm, GemmInputFirst };
  // Builds the primitive for the inner box `computed` in the given layouts.
  void build(const Problem& computed, MathMode math, Layouts layouts);
  // Milliseconds of one run on zero-filled buffers (for choosing between builds); gives up after
  // the first run when that alone took more than `giveUpMs`.
  double timeRun(double giveUpMs) const;
  void adopt(const Problem& computed, MathMode math, Layouts choice);
  void chooseLayouts(const Problem& computed, MathMode math);
  Layouts timedChoice(const Problem& computed, MathMode math);
  void run(const float* x, const float* primitiveWeights, const float* bias, float* y) const;
  void fillBands(const float* bias, float* y, const float* computed) const;

  Problem problem_;
  std::unique_ptr<GemmCol2im> gemm_;  // set when the plan computes with GemmCol2im
  Layouts builtLayouts_ = Layouts::Caller;  // what the last build() made
  // Output positions that no input reaches and that oneDNN will not produce itself (before the
  // full output when padsBegin < 0; after it when padsEnd < 0 and the primitive refuses that) get
  // only bias and activation: the primitive computes the inner box into scratch, which is then
  // copied into place.
  SpatialDims leading_{0, 0, 0};
  SpatialDims trailing_{0, 0, 0};
  bool hasBands_ = false;

  // Memory objects bound to the primitive's arguments, reused from call to call (only their data
  // pointers change): making them anew costs more than a tiny convolution. One thread at a time
  // uses them; a second thread running the same plan concurrently makes its own.
  struct Binding {
    dnnl::memory src, weights, dst, bias, scratchpad;
    dnnl::memory userSrc, userDst;  // the caller's layouts, when the primitive's differ
    std::unordered_map<int, dnnl::memory> args;
  };
  Binding makeBinding() const;
  mutable std::mutex bindingMutex_;
  mutable std::unique_ptr<Binding> binding_;

  dnnl::memory::desc srcDesc_;  // the caller's layouts
  dnnl::memory::desc dstDesc_;
  dnnl::memory::desc primitiveSrcDesc_;  // the primitive's (equal to the caller's unless reordered)
  dnnl::memory::desc primitiveDstDesc_;
  bool reorderSrc_ = false;
  bool reorderDst_ = false;
  dnnl::reorder srcReorder_;
  dnnl::reorder dstReorder_;
  dnnl::memory::desc userWeightsDesc_;
  dnnl::memory::desc biasDesc_;
  dnnl::deconvolution_forward::primitive_desc primitiveDesc_;
  dnnl::deconvolution_forward primitive_;
  bool reorderWeights_ = false;
  dnnl::reorder weightsReorder_;
};

}  // namespace deconv::onednn
