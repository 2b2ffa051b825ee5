#include "gemm_col2im.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>
#include <vector>

#include <omp.h>

#include "../core/activation.h"
#include "../core/axes3.h"
#include "../core/error.h"
#include "../core/phases.h"
#include "context.h"

namespace deconv::onednn {

namespace {

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

// Upper bound of the cols buffer: enough images per product to keep the matmul efficient without
// materializing a huge matrix for a large batch.
constexpr int64_t kMaxColsElements = int64_t{16} << 20;  // 64 MiB of float32

// Whether every output is reached by exactly one tap: kernel = stride, no dilation, no padding.
bool tilesExactly(const Problem& p) {
  for (int i = 0; i < p.rank; ++i) {
    if (p.kernel[i] != p.strides[i] || (p.dilations[i] != 1 && p.kernel[i] > 1) || p.padsBegin[i] != 0 ||
        p.outSpatial[i] != p.inSpatial[i] * p.strides[i])
      return false;
  }
  return true;
}

}  // namespace

bool GemmCol2im::supports(const Problem& p, Order order) {
  if (p.groups != 1) return false;
  return order == Order::WeightsFirst || (p.layout == Layout::ChannelsLast && p.filterLayout == FilterLayout::SpatialOutIn);
}

GemmCol2im::GemmCol2im(const Problem& problem, MathMode math, Order order, Threads threads) : problem_(problem) {
  const Problem& p = problem_;
  for (int i = 0; i < p.rank; ++i) {
    taps_ *= p.kernel[i];
    pixels_ *= p.inSpatial[i];
    outPixels_ *= p.outSpatial[i];
  }
  const int64_t rows = p.outChannels * taps_, C = p.inChannels;
  tapMajor_ = p.filterLayout == FilterLayout::SpatialOutIn;
  channelsLast_ = p.layout == Layout::ChannelsLast;
  inputFirst_ = order == Order::InputFirst;
  if (inputFirst_ && !(channelsLast_ && tapMajor_)) throw Error(ErrorKind::Error, "GemmCol2im: input first needs channels last and TF's filters");
  acrossImages_ = threads == Threads::AcrossImages;
  chunk_ = acrossImages_ ? 1 : std::max<int64_t>(1, std::min<int64_t>(p.batch, kMaxColsElements / std::max<int64_t>(1, rows * pixels_)));
  tail_ = p.batch % chunk_;
  tiles_ = inputFirst_ && tilesExactly(p);
  // Channels first, rows of x a multiple of 4 KiB apart are read from one cache set, and every
  // load of them can wait on a store to the same 4 KiB offset (4K aliasing): radford-4 ran 1.6×
  // slower for some placements of the caller's x. The product then reads a copy of x whose rows
  // are 64 bytes longer.
  rowStride_ = !channelsLast_ && !inputFirst_ && pixels_ % 1024 == 0 ? pixels_ + 16 : pixels_;
  {
    const Axes3 a(p);
    widthTaps_.resize(static_cast<std::size_t>(a.s[2]));
    for (int64_t pw = 0; pw < a.s[2]; ++pw) widthTaps_[static_cast<std::size_t>(pw)] = phaseTaps(pw, a.s[2], a.k[2], a.d[2], a.pb[2]);
  }

  // Across images, each product runs on one thread: made for one (ThreadCountScope says why).
  std::optional<ThreadCountScope> single;
  if (acrossImages_) single.emplace(1);
  try {
    if (inputFirst_) {
      // W as the matmul's weights (C × K·M), broadcast over the images: TF's [K, M, C] is
      // (K·M) × C row-major, so W has strides (1, C); packed, it is C × (K·M) row-major.
      packed_ = makeProduct(dnnl::memory::desc({1, C, rows}, dt::f32, dims{rows * C, rows, 1}), math);
    } else {
      // Wᵀ as the matmul's source (rows × C), broadcast over the images of a chunk: TF's [K, M, C]
      // is (K·M) × C row-major already; ONNX's [C, M, K], C × (M·K), is transposed by pack().
      packed_ = makeProduct(dnnl::memory::desc({1, rows, C}, dt::f32, dims{rows * C, C, 1}), math);
    }
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Error, std::string("oneDNN could not build the matrix product: ") + e.what());
  }
}

GemmCol2im::Product GemmCol2im::makeProduct(const dnnl::memory::desc& weights, MathMode math) const {
  const int64_t rows = problem_.outChannels * taps_, C = problem_.inChannels;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (math == MathMode::Bf16) attr.set_fpmath_mode(dnnl::fpmath_mode::bf16);
  auto make = [&](int64_t images, dnnl::memory::desc& input, dnnl::memory::desc& cols, dnnl::memory::desc& scratch) {
    if (inputFirst_) {
      // The chunk's images as one matrix of images·P rows (channels last, x and cols run on from
      // image to image): a batch of small products, P rows each, ran at half the speed (radford-1,
      // 16 pixels per image: 64 ms against 41 for one product of 256 rows).
      input = dnnl::memory::desc({1, images * pixels_, C}, dt::f32, dims{images * pixels_ * C, C, 1});
      cols = dnnl::memory::desc({1, images * pixels_, rows}, dt::f32, dims{images * pixels_ * rows, rows, 1});
      dnnl::matmul::primitive_desc pd(cpuEngine(), input, weights, cols, attr);
      scratch = pd.scratchpad_desc();
      return dnnl::matmul(pd);
    }
    // x[n] as C × P: channels first it is that matrix; channels last it is its transpose in memory.
    const dims inputStrides = channelsLast_ ? dims{C * pixels_, 1, C} : dims{C * rowStride_, rowStride_, 1};
    input = dnnl::memory::desc({images, C, pixels_}, dt::f32, inputStrides);
    cols = dnnl::memory::desc({images, rows, pixels_}, dt::f32, dims{rows * pixels_, pixels_, 1});
    dnnl::matmul::primitive_desc pd(cpuEngine(), weights, input, cols, attr);
    scratch = pd.scratchpad_desc();
    return dnnl::matmul(pd);
  };
  Product product;
  product.weights = weights;
  product.main = make(chunk_, product.input, product.cols, product.scratchpad);
  if (tail_ > 0) product.tail = make(tail_, product.tailInput, product.tailCols, product.tailScratchpad);
  return product;
}

namespace {

// out = the transpose of `in` (height × width, row-major), by 32 × 32 tiles copied through a
// local one, so that both sides are read and written a cache line at a time: going value by value
// down a column of `out` (rows of the iSTFT's 1026 × 1024 filter are 4 KiB apart, in one cache
// set) cost 2 ms of a 6 ms call. The threads share out the tiles (plain calls pack every call).
void transposeInto(const float* in, int64_t height, int64_t width, float* out) {
  constexpr int64_t kTile = 32;
  const int64_t tileRows = (height + kTile - 1) / kTile, tileCols = (width + kTile - 1) / kTile;
  applyThreadCount();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < tileRows; ++i)
    for (int64_t j = 0; j < tileCols; ++j) {
      const int64_t r0 = i * kTile, c0 = j * kTile;
      const int64_t rows = std::min(kTile, height - r0), cols = std::min(kTile, width - c0);
      float tile[kTile][kTile + 1];  // [column][row], padded against bank conflicts
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) tile[c][r] = in[(r0 + r) * width + c0 + c];
      for (int64_t c = 0; c < cols; ++c) std::copy(tile[c], tile[c] + rows, out + (c0 + c) * height + r0);
    }
}

}  // namespace

void GemmCol2im::pack(const float* w, float* out) const {
  const int64_t rows = problem_.outChannels * taps_, C = problem_.inChannels;
  if (inputFirst_) return transposeInto(w, rows, C, out);  // (K·M) × C → C × (K·M)
  if (tapMajor_) {
    std::copy(w, w + rows * C, out);
    return;
  }
  transposeInto(w, C, rows, out);  // ONNX's C × (M·K) → (M·K) × C
}

const char* GemmCol2im::implementation() const {
  if (inputFirst_) {
    return acrossImages_ ? "deconv:gemm_col2im (oneDNN matmul + col2im; input first; threads across images)"
                         : "deconv:gemm_col2im (oneDNN matmul + col2im; input first; threads within each product)";
  }
  return acrossImages_ ? "deconv:gemm_col2im (oneDNN matmul + col2im; weights first; threads across images)"
                       : "deconv:gemm_col2im (oneDNN matmul + col2im; weights first; threads within each product)";
}

// Where the product would read the caller's filter transposed (ONNX's, or TF's input first), it is
// transposed into scratch first, in a small part of what reading it transposed cost the product
// (the iSTFT filter's 4 MB: 7.7 ms a call against 3.6 packed).
void GemmCol2im::execute(const float* x, const float* w, const float* bias, float* y) const {
  if (!inputFirst_ && tapMajor_) return run(packed_, x, w, bias, y);
  auto* packed = static_cast<float*>(threadScratch(1, static_cast<std::size_t>(problem_.filterElements()) * sizeof(float)));
  pack(w, packed);
  run(packed_, x, packed, bias, y);
}

void GemmCol2im::executePacked(const float* x, const float* packed, const float* bias, float* y) const {
  run(packed_, x, packed, bias, y);
}

void GemmCol2im::multiply(const Product& product, bool tail, const float* x, const float* w, float* cols, dnnl::stream& stream,
                          void* scratchpad) const {
  const dnnl::engine& engine = cpuEngine();
  dnnl::memory weights(product.weights, engine, const_cast<float*>(w));
  dnnl::memory input(tail ? product.tailInput : product.input, engine, const_cast<float*>(x));
  dnnl::memory colsMemory(tail ? product.tailCols : product.cols, engine, cols);
  dnnl::memory scratch(tail ? product.tailScratchpad : product.scratchpad, engine, scratchpad);
  const dnnl::memory& source = inputFirst_ ? input : weights;
  const dnnl::memory& factor = inputFirst_ ? weights : input;
  (tail ? product.tail : product.main)
      .execute(stream, {{DNNL_ARG_SRC, source}, {DNNL_ARG_WEIGHTS, factor}, {DNNL_ARG_DST, colsMemory}, {DNNL_ARG_SCRATCHPAD, scratch}});
  stream.wait();
}

void GemmCol2im::run(const Product& product, const float* x, const float* w, const float* bias, float* y) const {
  applyThreadCount();
  if (acrossImages_) return runAcrossImages(product, x, w, bias, y);
  const Problem& p = problem_;
  const int64_t C = p.inChannels, M = p.outChannels;
  float* cols = static_cast<float*>(threadScratch(2, product.cols.get_size()));
  const std::size_t scratchBytes = std::max(product.scratchpad.get_size(), tail_ > 0 ? product.tailScratchpad.get_size() : 0);
  void* scratchpad = threadScratch(0, scratchBytes);
  float* padded = rowStride_ != pixels_ ? static_cast<float*>(threadScratch(3, chunk_ * C * rowStride_ * sizeof(float))) : nullptr;
  for (int64_t n = 0; n < p.batch; n += chunk_) {
    const int64_t images = std::min(chunk_, p.batch - n);
    const float* input = x + n * C * pixels_;
    if (padded != nullptr) {
      padRows(input, images * C, padded);
      input = padded;
    }
    multiply(product, images != chunk_, input, w, cols, threadStream(), scratchpad);
    gather(cols, bias, y + n * M * outPixels_, images);
  }
}

void GemmCol2im::padRows(const float* x, int64_t rows, float* out) const {
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) std::copy(x + row * pixels_, x + (row + 1) * pixels_, out + row * rowStride_);
}

void GemmCol2im::gather(const float* cols, const float* bias, float* y, int64_t images) const {
  if (tiles_) copyTiles(cols, bias, y, images);
  else if (inputFirst_) col2imInputFirst(cols, bias, y, images);
  else col2im(cols, bias, y, images);
}

// A thread per image at a time: inside this parallel loop, oneDNN's matmul and the gathers'
// own parallel loops run on the calling thread alone (OpenMP does not nest by default). Each team
// thread gets a stream and memory that the calling thread owns (see teamStreams).
void GemmCol2im::runAcrossImages(const Product& product, const float* x, const float* w, const float* bias, float* y) const {
  const Problem& p = problem_;
  const int64_t C = p.inChannels, M = p.outChannels;
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(p.batch)));
  dnnl::stream* streams = teamStreams(threads);
  auto roundUp = [](std::size_t bytes) { return (bytes + 63) / 64 * 64; };
  const std::size_t colsBytes = roundUp(product.cols.get_size()), scratchBytes = roundUp(product.scratchpad.get_size());
  const std::size_t paddedBytes = rowStride_ != pixels_ ? roundUp(C * rowStride_ * sizeof(float)) : 0;  // an image of x, rows padded
  const std::size_t perThread = colsBytes + scratchBytes + paddedBytes;
  auto* memory = static_cast<unsigned char*>(threadScratch(2, threads * perThread));
  std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    auto* cols = reinterpret_cast<float*>(memory + t * perThread);
    void* scratchpad = memory + t * perThread + colsBytes;
    auto* padded = paddedBytes > 0 ? reinterpret_cast<float*>(memory + t * perThread + colsBytes + scratchBytes) : nullptr;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < p.batch; ++n) {
      try {
        const float* input = x + n * C * pixels_;
        if (padded != nullptr) {
          padRows(input, C, padded);  // on this thread alone (OpenMP does not nest)
          input = padded;
        }
        multiply(product, false, input, w, cols, streams[t], scratchpad);
        gather(cols, bias, y + n * M * outPixels_, 1);
      } catch (...) {
        // An exception must not leave an OpenMP region: the first one is rethrown after it.
#pragma omp critical(deconv_gemm_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// y[n, m, o] for every output position: bias, plus the cols entries whose input position and tap
// reach o, then the activation. Work items are (image, channel, output row, W phase, block of the
// phase's columns): each owns its outputs (no races), and a single long 1-D row still spreads over
// all threads. Along W the outputs ow = pw + s·j of phase pw are reached by the phase's taps kw
// alone, from inputs j + offset: so each tap adds a contiguous run of cols to a contiguous buffer
// of sums (vectorized), and y is written once, s apart (adding each tap into y s apart, in place,
// took fsrcnn-x2's gather 1 ms of its 2.5). Channels last, y's positions are M apart and the
// channel is the innermost item index, so that the threads share no cache lines but at the edges
// of their runs.
void GemmCol2im::col2im(const float* cols, const float* bias, float* y, int64_t images) const {
  const Problem& p = problem_;
  const Axes3 axes(p);
  const int64_t *in = axes.in, *out = axes.out, *k = axes.k, *s = axes.s;
  const int64_t M = p.outChannels, K = taps_, P = pixels_;
  const int64_t rowsPerChannel = out[0] * out[1];
  const int64_t channelStride = channelsLast_ ? 1 : rowsPerChannel * out[2];  // in y
  const int64_t positionStride = channelsLast_ ? M : 1;
  constexpr int64_t kBlock = 1024;  // a W phase's columns per work item
  const int64_t phases = s[2];
  const int64_t blocks = ((out[2] + phases - 1) / phases + kBlock - 1) / kBlock;
  const int64_t items = images * M * rowsPerChannel * phases * blocks;
  const bool tapMajor = tapMajor_, channelsLast = channelsLast_;
  const auto* widthTaps = widthTaps_.data();
#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    int64_t n, m, row, pw, block;  // row: od·OH + oh
    if (channelsLast) {
      m = item % M;
      int64_t rest = item / M;
      block = rest % blocks, rest /= blocks;
      pw = rest % phases, rest /= phases;
      row = rest % rowsPerChannel;
      n = rest / rowsPerChannel;
    } else {
      int64_t rest = item;
      block = rest % blocks, rest /= blocks;
      pw = rest % phases, rest /= phases;
      row = rest % rowsPerChannel, rest /= rowsPerChannel;
      m = rest % M;
      n = rest / M;
    }
    const int64_t size = phaseSize(pw, phases, out[2]);  // outputs of the phase in the row
    const int64_t jBegin = block * kBlock, jEnd = std::min(size, jBegin + kBlock);
    if (jBegin >= jEnd) continue;
    const int64_t od = row / out[1], oh = row % out[1];
    float sums[kBlock];
    std::fill(sums, sums + (jEnd - jBegin), bias ? bias[m] : 0.f);
    const float* image = cols + n * M * K * P;
    axes.forEachReachingRow(od, oh, [&](int64_t kd, int64_t kh, int64_t id, int64_t ih) {
      for (const PhaseTap& tap : widthTaps[pw]) {
        const int64_t t = (kd * k[1] + kh) * k[2] + tap.k;
        const float* plane = image + (tapMajor ? t * M + m : m * K + t) * P + (id * in[1] + ih) * in[2];
        // Input j + offset must lie in [0, IW).
        const int64_t lo = std::max(jBegin, -tap.offset), hi = std::min(jEnd, in[2] - tap.offset);
        const float* from = plane + (lo + tap.offset);
        float* into = sums + (lo - jBegin);
#pragma omp simd
        for (int64_t j = 0; j < hi - lo; ++j) into[j] += from[j];
      }
    });
    float* target = y + n * M * rowsPerChannel * out[2] + m * channelStride + (row * out[2] + pw) * positionStride;
    const int64_t step = phases * positionStride;
    for (int64_t j = jBegin; j < jEnd; ++j) target[j * step] = activate(p, sums[j - jBegin]);
  }
}

// Input first (channels last): y[n, o, m], cols[n][i][k][m]. Work items are (image, output row):
// each owns its outputs. Per row, every reaching (kd, kh) and every kw adds, for the input columns
// that reach the row's outputs, a run of M contiguous values of cols to M contiguous values of y.
void GemmCol2im::col2imInputFirst(const float* cols, const float* bias, float* y, int64_t images) const {
  const Problem& p = problem_;
  const Axes3 axes(p);
  const int64_t *in = axes.in, *out = axes.out, *k = axes.k, *s = axes.s, *d = axes.d, *pb = axes.pb;
  const int64_t M = p.outChannels, KM = taps_ * M, P = pixels_;
  const int64_t rowsPerImage = out[0] * out[1];
  const int64_t items = images * rowsPerImage;
#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t n = item / rowsPerImage;
    const int64_t od = (item / out[1]) % out[0];
    const int64_t oh = item % out[1];
    float* row = y + (n * rowsPerImage + od * out[1] + oh) * out[2] * M;
    const float* image = cols + n * P * KM;
    for (int64_t ow = 0; ow < out[2]; ++ow) {
      for (int64_t m = 0; m < M; ++m) row[ow * M + m] = bias ? bias[m] : 0.f;
    }
    axes.forEachReachingRow(od, oh, [&](int64_t kd, int64_t kh, int64_t id, int64_t ih) {
      const float* inputRow = image + (id * in[1] + ih) * in[2] * KM;
      for (int64_t kw = 0; kw < k[2]; ++kw) {
        const int64_t tap = (kd * k[1] + kh) * k[2] + kw;
        // ow = iw·s + kw·d − pb within [0, OW): the iw that do, by ceiling division.
        const int64_t shift = kw * d[2] - pb[2];
        const int64_t iwBegin = shift >= 0 ? 0 : (-shift + s[2] - 1) / s[2];
        const int64_t iwEnd = std::min<int64_t>(in[2], out[2] - shift <= 0 ? 0 : (out[2] - shift + s[2] - 1) / s[2]);
        for (int64_t iw = iwBegin; iw < iwEnd; ++iw) {
          const float* from = inputRow + iw * KM + tap * M;
          float* to = row + (iw * s[2] + shift) * M;
          for (int64_t m = 0; m < M; ++m) to[m] += from[m];
        }
      }
    });
    if (p.activation != Activation::None) {
      for (int64_t i = 0; i < out[2] * M; ++i) row[i] = activate(p, row[i]);
    }
  }
}

// Exact tiling (channels last, cols[n][i][kd, kh, kw][m]): input row (n, id, ih) and kernel row
// (kd, kh) make output row (n, id·s + kd, ih·s + kh), in which input column iw owns the k·M
// contiguous values from iw·s·M on: a run of cols as it is (plus bias, then the activation).
void GemmCol2im::copyTiles(const float* cols, const float* bias, float* y, int64_t images) const {
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t M = p.outChannels, KM = taps_ * M, run = a.k[2] * M;
  const int64_t kernelRows = a.k[0] * a.k[1], items = images * a.in[0] * a.in[1] * kernelRows;
  const bool plain = bias == nullptr && p.activation == Activation::None;
#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t line = item / kernelRows, kernelRow = item % kernelRows;  // line: (n, id, ih)
    const int64_t ih = line % a.in[1], id = (line / a.in[1]) % a.in[0], n = line / (a.in[0] * a.in[1]);
    const int64_t od = id * a.s[0] + kernelRow / a.k[1], oh = ih * a.s[1] + kernelRow % a.k[1];
    float* to = y + ((n * a.out[0] + od) * a.out[1] + oh) * a.out[2] * M;
    const float* from = cols + line * a.in[2] * KM + kernelRow * run;
    for (int64_t iw = 0; iw < a.in[2]; ++iw, from += KM, to += run) {
      if (plain) {
        std::copy(from, from + run, to);
        continue;
      }
      for (int64_t j = 0; j < run; j += M)
        for (int64_t m = 0; m < M; ++m) to[j + m] = activate(p, from[j + m] + (bias ? bias[m] : 0.f));
    }
  }
}

}  // namespace deconv::onednn
