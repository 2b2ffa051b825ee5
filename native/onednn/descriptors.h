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

// oneDNN's strided channels-last kernel (brgconv_strided, which it picks for channels-last and
// for "any" layouts, forward and backward) takes ~27 µs per output column to set up where a group
// has fewer than 32 output channels: 1.6 s for a 1-D signal of 30000 samples (16 channels,
// stride 2), 7 s for 100000, minutes for millions (its blocking search runs over the width).
// The plans build such problems channels first (gemm:jit, made at once), with reorders.
bool hasSlowChannelsLastBuild(const Problem& p);

}  // namespace deconv::onednn
