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
#include <optional>
#include <unordered_map>
#include <vector>

#include "../core/aligned_vector.h"
#include "../core/problem.h"

namespace deconv::onednn {

class OwnWay;

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
  // Gemm…: not the deconvolution primitive at all but GemmCol2im (gemm_col2im.h), its matrix
  // product weights first or (channels last) input first, its threads within each product or
  // across images. TiledMatmul: one matmul writing y in place, where the kernel is the stride
  // (tiled_matmul.h). Phases: a forward convolution per output phase (phase_convolutions.h), its
  // threads within each or across images. PhaseKernel: deconv's own AVX2 kernel per output phase,
  // writing y in place (phase_kernel.h). PhaseRows: deconv's own AVX2 kernel along W, channels
  // first, writing whole rows of y in place (phase_rows.h).
  enum class Layouts { Caller, OtherPlain, Preferred, Gemm, GemmInputFirst, GemmImages, GemmInputFirstImages, TiledMatmul, Phases, PhasesImages, PhaseKernel, PhaseRows };

  // The deconvolution primitive for the inner box in one choice of layouts, with the reorders
  // that choice needs. A plan keeps one; choosing a way builds several side by side.
  struct PrimitiveBuild {
    Layouts layouts = Layouts::Caller;
    dnnl::deconvolution_forward::primitive_desc desc;
    dnnl::deconvolution_forward primitive;
    dnnl::memory::desc src, dst;  // the primitive's layouts (equal to the caller's unless reordered)
    bool reorderSrc = false, reorderDst = false, reorderWeights = false;
    dnnl::reorder srcReorder, dstReorder, weightsReorder;
  };
  // A way of computing being weighed against the others: a primitive build or GemmCol2im.
  struct Candidate;

  // Memory objects bound to the primitive's arguments, reused from call to call (only their data
  // pointers change): making them anew costs more than a tiny convolution. One thread at a time
  // uses them; a second thread running the same plan concurrently makes its own.
  struct Binding {
    dnnl::memory src, weights, dst, bias, scratchpad;
    dnnl::memory userSrc, userDst;  // the caller's layouts, when the primitive's differ
    std::unordered_map<int, dnnl::memory> args;
  };

  // The caller's layouts of x, y (the inner box `computed`), the weights and the bias.
  void setCallerLayouts(const Problem& computed);
  // Builds the primitive for the inner box `computed` in the given layouts.
  PrimitiveBuild build(const Problem& computed, MathMode math, Layouts layouts) const;
  void adopt(const Problem& computed, MathMode math, Layouts choice);
  std::unique_ptr<OwnWay> makeOwnWay(Layouts choice, MathMode math) const;
  void chooseLayouts(const Problem& computed, MathMode math);
  static int64_t standInBatch(const Problem& p);
  // Times the ways worth trying, interleaved, and adopts the fastest; returns its layouts.
  Layouts timedChoice(const Problem& computed, MathMode math);
  Binding makeBinding(const PrimitiveBuild& build) const;
  void run(const PrimitiveBuild& build, Binding& binding, const float* x, const float* weights, const float* bias, float* y) const;
  void run(const float* x, const float* primitiveWeights, const float* bias, float* y) const;
  void fillBands(const float* bias, float* y, const float* computed) const;

  Problem problem_;
  bool direct_ = false;               // a tiny problem, computed by directDeconvolution
  std::unique_ptr<OwnWay> own_;       // set when the plan computes with a way of deconv's own (own_way.h)
  PrimitiveBuild built_;              // the primitive otherwise (the last one built)
  Layouts chosen_ = Layouts::Caller;  // the way chooseLayouts settled on
  // Output positions that no input reaches and that oneDNN will not produce itself (before the
  // full output when padsBegin < 0; after it when padsEnd < 0 and the primitive refuses that) get
  // only bias and activation: the primitive computes the inner box into scratch, which is then
  // copied into place.
  SpatialDims leading_{0, 0, 0};
  SpatialDims trailing_{0, 0, 0};
  bool hasBands_ = false;

  mutable std::mutex bindingMutex_;
  mutable std::unique_ptr<Binding> binding_;  // for built_

  dnnl::memory::desc srcDesc_;  // the caller's layouts
  dnnl::memory::desc dstDesc_;
  dnnl::memory::desc userWeightsDesc_;
  dnnl::memory::desc biasDesc_;
};

}  // namespace deconv::onednn
