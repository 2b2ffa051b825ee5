// oneDNN memory descriptors of the caller's tensors, shared by the forward and backward plans.
#pragma once

#include <dnnl.hpp>

#include "../core/problem.h"

namespace deconv::onednn {

// Plain activation layouts by spatial rank: channels last (nwc, nhwc, ndhwc) or first.
dnnl::memory::format_tag activationTag(int rank, Layout layout);

// The first `rank` entries of `values`, each plus `offset`.
dnnl::memory::dims spatial(const SpatialDims& values, int rank, int64_t offset = 0);

// head followed by tail.
dnnl::memory::dims concat(dnnl::memory::dims head, const dnnl::memory::dims& tail);

// The caller's weights as oneDNN sees them, without moving a byte: logical dims
// [G,] O = M/G, I = C/G, K... with the strides of the TF or ONNX layout.
dnnl::memory::desc userWeights(const Problem& p);

}  // namespace deconv::onednn
