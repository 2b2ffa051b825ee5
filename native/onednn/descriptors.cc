#include "descriptors.h"

namespace deconv::onednn {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

tag activationTag(int rank, Layout layout) {
  const bool last = layout == Layout::ChannelsLast;
  switch (rank) {
    case 1: return last ? tag::nwc : tag::ncw;
    case 2: return last ? tag::nhwc : tag::nchw;
    default: return last ? tag::ndhwc : tag::ncdhw;
  }
}

dims spatial(const SpatialDims& values, int rank, int64_t offset) {
  dims out;
  for (int i = 0; i < rank; ++i) out.push_back(values[i] + offset);
  return out;
}

dims concat(dims head, const dims& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

dnnl::memory::desc userWeights(const Problem& p) {
  const int64_t G = p.groups, Cg = p.inChannels / G, Mg = p.outChannels / G, C = p.inChannels;
  int64_t taps = 1;
  for (int i = 0; i < p.rank; ++i) taps *= p.kernel[i];
  dims kernelStrides(p.rank);
  int64_t g, o, in;
  if (p.filterLayout == FilterLayout::SpatialOutIn) {  // [K..., Mg, C]
    int64_t stride = Mg * C;
    for (int i = p.rank - 1; i >= 0; --i) {
      kernelStrides[i] = stride;
      stride *= p.kernel[i];
    }
    g = Cg, o = C, in = 1;
  } else {  // [C, Mg, K...]
    int64_t stride = 1;
    for (int i = p.rank - 1; i >= 0; --i) {
      kernelStrides[i] = stride;
      stride *= p.kernel[i];
    }
    g = Cg * Mg * taps, o = taps, in = Mg * taps;
  }
  const dims kernel = spatial(p.kernel, p.rank);
  if (G == 1) return {concat({Mg, Cg}, kernel), dt::f32, concat({o, in}, kernelStrides)};
  return {concat({G, Mg, Cg}, kernel), dt::f32, concat({g, o, in}, kernelStrides)};
}

bool hasSlowChannelsLastBuild(const Problem& p) {
  bool strided = false;
  for (int i = 0; i < p.rank; ++i) strided = strided || p.strides[i] > 1;
  return strided && p.outChannels / p.groups < 32 && p.outSpatial[p.rank - 1] > 4096;
}

}  // namespace deconv::onednn
