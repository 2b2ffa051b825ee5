// GemmCol2im: transposed convolution as one matrix product and a col2im gather.
//
//   cols[n] (M·K × P) = Wᵀ (M·K × C) · x[n] (C × P)        (oneDNN matmul, all threads)
//   y[n, m, o] = bias[m] + Σ over taps k that reach o of cols[n][m, k][i(o, k)]
// (x[n] channels last is the same matrix with transposed strides.) Channels last, the product can
// also run the other way round, input first: cols[n] (P × K·M) = x[n] (P × C) · W (C × K·M), whose
// gather then adds runs of M contiguous values; which is faster depends on the shape (the iSTFT
// synthesis filter: weights first, 2×; dcgan-g5 at batch 64: input first, 1.7×), so plans time both.
//
// Threads share the work in one of two ways. Within the product: all threads run each matmul
// (chunks of images, as many as a bounded cols buffer holds), then all gather. Across images: each
// thread takes whole images, its own single-threaded matmul and gather, so that an image's cols
// (a few hundred KiB) are read back from the core's own cache rather than from memory; that wins
// where the gather is a large part of the time (radford-4: 75 cols rows of 1024 per image) and
// there are enough images to share out. Plans time both.
//
// Input first, where the kernel tiles the output exactly (kernel = stride, no dilation or padding:
// U-Net's 2×2 stride-2 upsampling), every output comes from one tap and the gather is a copy: y
// written once from cols, instead of set to the bias and then added to (3d-unet: 15.5 ms against
// 17.3).
//
// This is ONNX Runtime's algorithm. It wins over oneDNN's deconvolution kernels where the output
// has few channels (M = 1 or 3 in super-resolution and image-generator heads, or a 1-D synthesis
// filter): those kernels vectorize over output channels and leave most lanes empty, while here the
// product runs over M·K rows and the gather is parallel over output rows. Either layout, one group.
#pragma once

#include <dnnl.hpp>

#include <cstddef>
#include <vector>

#include "../core/phases.h"
#include "../core/problem.h"
#include "own_way.h"
#include "plan.h"

namespace deconv::onednn {

class GemmCol2im final : public OwnWay {
 public:
  // Which matrix product computes cols (see above); InputFirst needs channels last.
  enum class Order { WeightsFirst, InputFirst };
  // How the threads share the work (see above).
  enum class Threads { WithinProduct, AcrossImages };

  // Whether the problem has this algorithm's shape (one group; input first: channels last with
  // TF's filters).
  static bool supports(const Problem& problem, Order order = Order::WeightsFirst);

  GemmCol2im(const Problem& problem, MathMode math, Order order = Order::WeightsFirst, Threads threads = Threads::WithinProduct);

  // w in the problem's filter layout (TF or ONNX: both are a plain C × M·K matrix, up to order),
  // packed into thread scratch where the product would read it transposed.
  void execute(const float* x, const float* w, const float* bias, float* y) const override;
  // w as pack() made it.
  void executePacked(const float* x, const float* packed, const float* bias, float* y) const override;
  // A name for reports, e.g. "deconv:gemm_col2im (oneDNN matmul + col2im; weights first; threads
  // across images)".
  const char* implementation() const override;
  // The weights as the product reads them fastest: Wᵀ contiguous (M·K rows of C), or for
  // InputFirst W contiguous (C rows of K·M). `out` holds filterElements() floats.
  void pack(const float* w, float* out) const override;
  std::size_t packedElements() const override { return static_cast<std::size_t>(problem_.filterElements()); }

 private:
  // One matmul (and one for the last, shorter chunk of images) for a given layout of Wᵀ.
  struct Product {
    dnnl::memory::desc weights, input, cols, scratchpad;
    dnnl::matmul main;
    dnnl::memory::desc tailInput, tailCols, tailScratchpad;
    dnnl::matmul tail;
  };
  Product makeProduct(const dnnl::memory::desc& weights, MathMode math) const;
  void run(const Product& product, const float* x, const float* w, const float* bias, float* y) const;
  void runAcrossImages(const Product& product, const float* x, const float* w, const float* bias, float* y) const;
  // The matrix product of a chunk of images (the tail chunk if `tail`) from x into cols.
  void multiply(const Product& product, bool tail, const float* x, const float* w, float* cols, dnnl::stream& stream,
                void* scratchpad) const;
  // `rows` rows of P floats of x into `out`, rowStride_ apart (see rowStride_).
  void padRows(const float* x, int64_t rows, float* out) const;
  // cols of `images` images into y: col2im, col2imInputFirst or copyTiles.
  void gather(const float* cols, const float* bias, float* y, int64_t images) const;
  void col2im(const float* cols, const float* bias, float* y, int64_t images) const;
  void col2imInputFirst(const float* cols, const float* bias, float* y, int64_t images) const;
  void copyTiles(const float* cols, const float* bias, float* y, int64_t images) const;

  Problem problem_;
  int64_t taps_ = 1;          // K: kernel positions
  int64_t pixels_ = 1;        // P: input positions per image
  int64_t rowStride_ = 0;     // channels first: floats between rows of x as the product reads them (P, or P + 16: see the constructor)
  int64_t outPixels_ = 1;
  int64_t chunk_ = 1;         // images per matrix product (bounds the cols buffer)
  bool tapMajor_ = false;     // cols rows ordered (k, m) (TF filters) instead of (m, k) (ONNX)
  bool channelsLast_ = false; // x and y channels last (x read as C × P with transposed strides)
  bool inputFirst_ = false;   // Order::InputFirst: cols is P × K·M, (k, m) columns
  bool acrossImages_ = false; // Threads::AcrossImages: one image per product, a thread each
  int64_t tail_ = 0;          // images in the last, shorter chunk (0: none)
  bool tiles_ = false;        // input first, and the kernel tiles the output exactly (see above)
  std::vector<std::vector<PhaseTap>> widthTaps_;  // per W phase pw, the taps that reach it (col2im)
  Product packed_;            // Wᵀ contiguous (as pack() writes it)
};

}  // namespace deconv::onednn
