// BackwardPlan: the gradients of one transposed convolution, built once as oneDNN's deconvolution
// backward-data (dx: the forward convolution of dy with the same filter) and backward-weights
// (dw) primitives. The bias gradient is a plain reduction of dy over batch and space.
//
// Output positions no input reaches (negative pads: ONNX output_padding / output_shape, TF VALID
// with a larger output) take no part in dx or dw, so the primitives work on the inner box of dy —
// cropped into scratch when there is a band — and only the bias gradient reads all of dy.
#pragma once

#include <dnnl.hpp>

#include "../core/problem.h"
#include "layout_reorder.h"

namespace deconv::onednn {

class BackwardPlan {
 public:
  // `problem`'s bias and activation are ignored: the gradients are those of the linear op.
  explicit BackwardPlan(const Problem& problem);

  // Fills each non-null output (dx: the input's layout and size; dw: the filter's; db: M values)
  // from x, w and dy in the problem's layouts. Inputs are read in place, never modified.
  void execute(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db) const;

  // oneDNN's names for the implementations it chose, "data / weights".
  std::string implementation() const;

 private:
  // dy's inner box (the positions some input reaches), as a pointer the primitives can read.
  const float* innerGradient(const float* dy) const;
  void backwardData(const float* w, const float* dyInner, float* dx) const;
  void backwardWeights(const float* x, const float* dyInner, float* dw) const;
  void biasGradient(const float* dy, float* db) const;

  Problem problem_;
  Problem inner_;  // problem_ with negative pads removed (and the output shrunk to match)
  bool hasBands_ = false;
  SpatialDims leading_{0, 0, 0};

  // Channels last where oneDNN's channels-last build is slow (hasSlowChannelsLastBuild): the
  // primitives work channels first, x and dy are reordered in and dx out.
  bool reorderActivations_ = false;
  LayoutReorder xInside_, dyInside_, dxOutside_;

  dnnl::memory::desc srcDesc_;          // x / dx, as the primitives read them
  dnnl::memory::desc innerDstDesc_;     // dy's inner box, as the primitives read it
  dnnl::memory::desc userWeightsDesc_;  // w / dw, the caller's layout
  dnnl::deconvolution_backward_data::primitive_desc dataDesc_;
  dnnl::deconvolution_backward_data data_;
  dnnl::reorder toDataWeights_;  // user weights → the backward-data primitive's layout
  bool reorderDataWeights_ = false;
  dnnl::deconvolution_backward_weights::primitive_desc weightsDesc_;
  dnnl::deconvolution_backward_weights weights_;
  dnnl::reorder fromDiffWeights_;  // the backward-weights primitive's layout → user weights
  bool reorderDiffWeights_ = false;
};

}  // namespace deconv::onednn
