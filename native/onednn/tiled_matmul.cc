#include "tiled_matmul.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "../core/error.h"
#include "context.h"
#include "post_ops.h"

namespace deconv::onednn {

namespace {

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

// Row-major strides of `shape`.
dims denseStrides(const dims& shape) {
  dims strides(shape.size());
  int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

dnnl::memory::desc dense(const dims& shape) { return {shape, dt::f32, denseStrides(shape)}; }

}  // namespace

bool TiledMatmul::supports(const Problem& p) {
  if (p.groups != 1 || p.layout != Layout::ChannelsLast) return false;
  for (int i = 0; i < p.rank; ++i) {
    if (p.kernel[i] != p.strides[i] || p.dilations[i] != 1 || p.padsBegin[i] != 0 || p.padsEnd[i] != 0) return false;
  }
  return true;
}

TiledMatmul::TiledMatmul(const Problem& problem, MathMode math) : problem_(problem) {
  if (!supports(problem)) throw Error(ErrorKind::Error, "TiledMatmul: the kernel is not the stride, or there is padding");
  const Problem& p = problem_;
  const int r = p.rank;
  // Batch dims: N, then (I, K) for every axis but the last; src has 1 for each K, W 1 for N and
  // each I. Then the matrices: Ir × C (src), C × Kr·M (W), Ir × Kr·M (dst).
  dims src{p.batch}, weights{1}, dst{p.batch};
  for (int i = 0; i + 1 < r; ++i) {
    src.insert(src.end(), {p.inSpatial[i], 1});
    weights.insert(weights.end(), {1, p.kernel[i]});
    dst.insert(dst.end(), {p.inSpatial[i], p.kernel[i]});
  }
  const int64_t wide = p.kernel[r - 1] * p.outChannels;
  src.insert(src.end(), {p.inSpatial[r - 1], p.inChannels});
  weights.insert(weights.end(), {p.inChannels, wide});
  dst.insert(dst.end(), {p.inSpatial[r - 1], wide});
  src_ = dense(src);
  weights_ = dense(weights);
  dst_ = dense(dst);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(activationPostOps(p));
  if (math == MathMode::Bf16) attr.set_fpmath_mode(dnnl::fpmath_mode::bf16);
  try {
    dnnl::matmul::primitive_desc desc;
    if (p.hasBias) {
      dims biasShape(dst.size(), 1);
      biasShape.back() = wide;
      bias_ = dense(biasShape);
      desc = dnnl::matmul::primitive_desc(cpuEngine(), src_, weights_, bias_, dst_, attr);
    } else {
      desc = dnnl::matmul::primitive_desc(cpuEngine(), src_, weights_, dst_, attr);
    }
    scratchpad_ = desc.scratchpad_desc();
    matmul_ = dnnl::matmul(desc);
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Error, std::string("oneDNN could not build the tiled matrix product: ") + e.what());
  }
}

void TiledMatmul::pack(const float* w, float* out) const {
  const Problem& p = problem_;
  const int r = p.rank;
  const int64_t C = p.inChannels, M = p.outChannels, last = p.kernel[r - 1];
  int64_t leading = 1;  // kernel positions of the axes before the last
  for (int i = 0; i + 1 < r; ++i) leading *= p.kernel[i];
  const int64_t taps = leading * last;
  const bool tfFilter = p.filterLayout == FilterLayout::SpatialOutIn;
  for (int64_t lead = 0; lead < leading; ++lead)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < last; ++k)
        for (int64_t m = 0; m < M; ++m) {
          const int64_t tap = lead * last + k;
          *out++ = w[tfFilter ? (tap * M + m) * C + c : (c * M + m) * taps + tap];
        }
}

void TiledMatmul::executePacked(const float* x, const float* packed, const float* bias, float* y) const {
  run(x, packed, bias, y);
}

void TiledMatmul::run(const float* x, const float* packed, const float* bias, float* y) const {
  applyThreadCount();
  const dnnl::engine& engine = cpuEngine();
  dnnl::memory src(src_, engine, const_cast<float*>(x));
  dnnl::memory weights(weights_, engine, const_cast<float*>(packed));
  dnnl::memory dst(dst_, engine, y);
  dnnl::memory scratchpad(scratchpad_, engine, threadScratch(0, scratchpad_.get_size()));
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratchpad}};
  if (problem_.hasBias) {
    // The bias of each output channel, once per position along the last kernel axis.
    const int64_t M = problem_.outChannels, last = problem_.kernel[problem_.rank - 1];
    auto* tiled = static_cast<float*>(threadScratch(4, static_cast<std::size_t>(last * M) * sizeof(float)));
    for (int64_t k = 0; k < last; ++k) std::copy(bias, bias + M, tiled + k * M);
    args.emplace(DNNL_ARG_BIAS, dnnl::memory(bias_, engine, tiled));
  }
  dnnl::stream& stream = threadStream();
  matmul_.execute(stream, args);
  stream.wait();
}

}  // namespace deconv::onednn
