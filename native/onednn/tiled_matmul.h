// TiledMatmul: a transposed convolution whose kernel equals its stride on every axis (no padding,
// no dilation: U-Net's 2×2 stride-2 upsampling, 3-D U-Net's 2×2×2) as one oneDNN matmul, channels
// last, that writes y in place.
//
// Each input pixel then owns a K1 × … × Kr tile of the output, which it fills alone (no overlap,
// so no col2im and no sums), and y[n, i1·K1 + k1, …, ir·Kr + kr, m] read row-major is the tensor
//   dst [N, I1, K1, …, I(r−1), K(r−1), Ir, Kr·M] = src [N, I1, 1, …, I(r−1), 1, Ir, C]
//                                                  · W [1, 1, K1, …, 1, K(r−1), C, Kr·M],
// a batched matmul whose src broadcasts over the kernel axes and W over the images and input
// rows: rows of Ir input pixels, C deep, Kr·M wide. Bias (tiled Kr times) and activation are the
// matmul's own. Measured on 2 AVX2 cores: 74–80% of the FMA peak on U-Net's 2nd to 4th layers,
// where oneDNN's deconvolution reached 62–67%; rows of 16 pixels (U-Net's first layer) run
// slowly, so plans time this way against the others rather than take it for granted.
#pragma once

#include <dnnl.hpp>

#include <cstddef>

#include "../core/problem.h"
#include "own_way.h"
#include "plan.h"

namespace deconv::onednn {

class TiledMatmul final : public OwnWay {
 public:
  // Whether the problem has this shape: one group, channels last, kernel == stride and dilation 1
  // on every axis, no padding at either end.
  static bool supports(const Problem& problem);

  TiledMatmul(const Problem& problem, MathMode math);

  // w as pack() made it.
  void executePacked(const float* x, const float* packed, const float* bias, float* y) const override;
  // The filter as the matmul reads it, W [K1, …, K(r−1), C, Kr, M]; `out` holds
  // problem.filterElements() floats.
  void pack(const float* w, float* out) const override;
  std::size_t packedElements() const override { return static_cast<std::size_t>(problem_.filterElements()); }
  const char* implementation() const override { return "deconv:tiled_matmul (oneDNN matmul writing each input pixel's output tile)"; }

 private:
  void run(const float* x, const float* packed, const float* bias, float* y) const;

  Problem problem_;
  dnnl::memory::desc src_, weights_, dst_, bias_, scratchpad_;
  dnnl::matmul matmul_;
};

}  // namespace deconv::onednn
