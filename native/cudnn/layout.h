// Shapes and strides as cuDNN wants them, shared by the legacy and graph-API paths.
#pragma once

#include <cstdint>
#include <vector>

#include <cudnn.h>

#include "../core/problem.h"

namespace deconv::cudnn {

// A problem's spatial array in cuDNN's rank: 1-D problems become 2-D with a leading H of 1.
inline std::vector<int64_t> promoted(const Problem& p, const SpatialDims& dims, int64_t neutral) {
  std::vector<int64_t> out;
  if (p.rank == 1) out.push_back(neutral);
  for (int i = 0; i < p.rank; ++i) out.push_back(dims[i]);
  return out;
}

inline std::vector<int> narrow(const std::vector<int64_t>& values) { return std::vector<int>(values.begin(), values.end()); }

// Dims [N, C, spatial...] and their strides for activations in `layout`.
inline void activationShape(int64_t n, int64_t c, const std::vector<int64_t>& spatial, Layout layout, std::vector<int>& dims,
                     std::vector<int>& strides) {
  const std::size_t rank = spatial.size() + 2;
  dims.assign(rank, 0);
  strides.assign(rank, 0);
  dims[0] = static_cast<int>(n);
  dims[1] = static_cast<int>(c);
  for (std::size_t i = 0; i < spatial.size(); ++i) dims[i + 2] = static_cast<int>(spatial[i]);
  if (layout == Layout::ChannelsFirst) {
    int64_t stride = 1;
    for (std::size_t i = rank; i-- > 0;) {
      strides[i] = static_cast<int>(stride);
      stride *= dims[i];
    }
  } else {
    int64_t stride = 1;
    strides[1] = 1;
    stride = c;
    for (std::size_t i = rank; i-- > 2;) {
      strides[i] = static_cast<int>(stride);
      stride *= dims[i];
    }
    strides[0] = static_cast<int>(stride);
  }
}

// Strides of a filter [C, M/g, k...] stored as `layout` (TF [k..., M/g, C] or ONNX [C, M/g, k...]).
inline std::vector<int> filterSourceStrides(const std::vector<int>& dims, FilterLayout layout) {
  const std::size_t rank = dims.size();
  std::vector<int> strides(rank, 0);
  if (layout == FilterLayout::InOutSpatial) {
    int64_t stride = 1;
    for (std::size_t i = rank; i-- > 0;) {
      strides[i] = static_cast<int>(stride);
      stride *= dims[i];
    }
  } else {
    strides[0] = 1;               // C innermost
    int64_t stride = dims[0];
    strides[1] = static_cast<int>(stride);  // then M/g
    stride *= dims[1];
    for (std::size_t i = rank; i-- > 2;) {  // then the kernel, last dimension first
      strides[i] = static_cast<int>(stride);
      stride *= dims[i];
    }
  }
  return strides;
}

// Strides of cuDNN's filter format: NCHW = [C, M/g, k...] packed; NHWC = memory [C, k..., M/g].
inline std::vector<int> filterTargetStrides(const std::vector<int>& dims, cudnnTensorFormat_t format) {
  const std::size_t rank = dims.size();
  std::vector<int> strides(rank, 0);
  int64_t stride = 1;
  if (format == CUDNN_TENSOR_NCHW) {
    for (std::size_t i = rank; i-- > 0;) {
      strides[i] = static_cast<int>(stride);
      stride *= dims[i];
    }
  } else {
    strides[1] = 1;
    stride = dims[1];
    for (std::size_t i = rank; i-- > 2;) {
      strides[i] = static_cast<int>(stride);
      stride *= dims[i];
    }
    strides[0] = static_cast<int>(stride);
  }
  return strides;
}

}  // namespace deconv::cudnn
