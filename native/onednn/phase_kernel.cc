#include "phase_kernel.h"

#include <algorithm>
#include <cstring>

#include "../core/activation.h"
#include "../core/axes3.h"
#include "../core/error.h"
#include "../core/phases.h"
#include "avx2_kernels.h"
#include "context.h"

namespace deconv::onednn {

namespace {

// Taps of one phase up to which the way is offered: the pointer tables live on the stack (the
// iSTFT's 1024-tap filter is left to the GEMM).
constexpr int64_t kMaxTaps = 64;
// Output pixels per work item (a multiple of the kernel's 6): enough to pay for the item's set-up,
// few enough for the threads to share out a small layer's.
constexpr int64_t kStretch = 48;
// Weights of a phase's block of 16 output channels above which run() goes blocked: half of this
// CPU's 512 KiB L2 (the streaming order reads them from L2 for every tile; radford-2's 288 KiB ran
// 10% faster blocked, radford-3's 147 KiB 7% slower, dcgan-g4's 32 KiB 1.7× slower). And the
// weights of a chunk of input channels in the blocked order (see run()): the sums of a chunk go
// to y and come back for the next, which cost more than reading a block's weights from L3 for
// every tile (radford-1, 576 KiB per block: 41 ms in one chunk, 43 in chunks of 192 KiB, 51 of
// 48 KiB), so only blocks past 1 MiB are cut.
constexpr int64_t kStreamingWeightBytes = 256 << 10;
// Where a tile prefetches the next tile's inputs into L2 (see compute()): x of 8 MiB or more,
// which comes from memory, and 48 to 128 output channels: few enough products per input line
// that waiting for it shows, enough to pay for the prefetches. Interleaved A/B on two threads:
// unet-4-b8 (64 MiB of x, 64 outputs) 13% faster, unet-4-b1 and style-up-128 10%, style-up-64 8%,
// dcgan-g4-b64 2%; 1d-long (32 outputs) 3% slower; smaller x or more outputs within ±2%.
constexpr int64_t kPrefetchInputBytes = 8 << 20;
constexpr int64_t kPrefetchMinOutputs = 48;
constexpr int64_t kPrefetchMaxOutputs = 128;
constexpr int64_t kChunkWeightBytes = 1 << 20;

#if DECONV_AVX2_KERNELS

// The products of `taps` taps of C input channels into acc (R pixels × 8·V output channels): pixel
// r of tap t reads pixels[t·R + r], tap t's packed weights (C rows of 16) start at
// weights + t·tapStride. Inlined into the kernels, whose accumulators it keeps in registers.
template <int R, int V>
__attribute__((target("avx2,fma"), always_inline)) inline void addTaps(__m256 (&acc)[R][V], const float* const* pixels, int64_t taps,
                                                                       int64_t C, const float* weights, int64_t tapStride) {
  for (int64_t t = 0; t < taps; ++t) {
    const float* p[R];
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) p[r] = pixels[t * R + r];
    const float* w = weights + t * tapStride;
#pragma GCC unroll 4
    for (int64_t c = 0; c < C; ++c, w += PhaseKernel::kChannels) {
      const __m256 w0 = _mm256_loadu_ps(w);
      const __m256 w1 = V > 1 ? _mm256_loadu_ps(w + 8) : w0;
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        const __m256 b = _mm256_broadcast_ss(p[r] + c);
        acc[r][0] = _mm256_fmadd_ps(b, w0, acc[r][0]);
        if (V > 1) acc[r][V - 1] = _mm256_fmadd_ps(b, w1, acc[r][V - 1]);
      }
    }
  }
}

// R output pixels × 8·V output channels: starts from from[r] (each pixel's 16 bias values), adds
// for each of `taps` taps the pixels' C input values (pixels[t·R + r]) times the tap's packed
// weights (weights + t·tapStride, C rows of 16), and stores the first `valid` channels of each
// pixel at out[r]. The accumulators stay in registers (12 of the 16 for 6 × 16): every loop over
// them is unrolled, since one indexed at run time would keep them all in memory.
template <int R, int V>
__attribute__((target("avx2,fma"))) void accumulate(const float* const* pixels, const float* weights, int64_t tapStride, int64_t taps,
                                                    int64_t C, const float* const* from, float* const* out, int64_t valid) {
  __m256 acc[R][V];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_loadu_ps(from[r] + 8 * v);
  }
  addTaps<R, V>(acc, pixels, taps, C, weights, tapStride);
  if (valid == 8 * V) {
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) _mm256_storeu_ps(out[r] + 8 * v, acc[r][v]);
    }
    return;
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    alignas(32) float lanes[8 * V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) _mm256_store_ps(lanes + 8 * v, acc[r][v]);
    std::memcpy(out[r], lanes, static_cast<std::size_t>(valid) * sizeof(float));
  }
}

using Kernel = void (*)(const float* const*, const float*, int64_t, int64_t, int64_t, const float* const*, float* const*, int64_t);

// By pixel count (1 to 6), for 16 and for 8 output channels.
constexpr Kernel kKernels16[] = {accumulate<1, 2>, accumulate<2, 2>, accumulate<3, 2>, accumulate<4, 2>, accumulate<5, 2>, accumulate<6, 2>};
constexpr Kernel kKernels8[] = {accumulate<1, 1>, accumulate<2, 1>, accumulate<3, 1>, accumulate<4, 1>, accumulate<5, 1>, accumulate<6, 1>};

// accumulate<R, 2> for `blocks` whole blocks of 16 output channels in one call, each starting from
// the bias (or zero): block b's weights start at weights + b·blockStride, tap t's at + t·tapStride,
// and its sums go to out[r] + 16·b. One call per tile instead of one per block, which saves each
// block's call and pointer tables: on one thread 3d-k3s2 (64 to 512 products per call) ran 7%
// faster, style-up-64 and unet-2 2%.
template <int R>
__attribute__((target("avx2,fma"))) void accumulateBlocks(const float* const* pixels, int64_t taps, int64_t C, const float* weights,
                                                          int64_t tapStride, int64_t blockStride, int64_t blocks, const float* bias,
                                                          float* const* out) {
  for (int64_t b = 0; b < blocks; ++b) {
    __m256 acc[R][2];
    const __m256 b0 = bias != nullptr ? _mm256_loadu_ps(bias + 16 * b) : _mm256_setzero_ps();
    const __m256 b1 = bias != nullptr ? _mm256_loadu_ps(bias + 16 * b + 8) : _mm256_setzero_ps();
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) acc[r][0] = b0, acc[r][1] = b1;
    addTaps<R, 2>(acc, pixels, taps, C, weights + b * blockStride, tapStride);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      _mm256_storeu_ps(out[r] + 16 * b, acc[r][0]);
      _mm256_storeu_ps(out[r] + 16 * b + 8, acc[r][1]);
    }
  }
}

using BlocksKernel = void (*)(const float* const*, int64_t, int64_t, const float*, int64_t, int64_t, int64_t, const float*, float* const*);
constexpr BlocksKernel kBlocksKernels[] = {accumulateBlocks<1>, accumulateBlocks<2>, accumulateBlocks<3>,
                                           accumulateBlocks<4>, accumulateBlocks<5>, accumulateBlocks<6>};
#endif

}  // namespace

bool PhaseKernel::supports(const Problem& p) { return p.groups == 1 && cpuHasAvx2Kernels(); }

PhaseKernel::PhaseKernel(const Problem& problem, MathMode math) : problem_(problem) {
  if (!supports(problem)) throw Error(ErrorKind::Error, "PhaseKernel: more than one group, or no AVX2 and FMA");
  if (math != MathMode::Float32) throw Error(ErrorKind::Error, "PhaseKernel: float32 math only");
  const Problem& p = problem_;
  const Axes3 a(p);
  for (int axis = 0; axis < 3; ++axis) s_[axis] = a.s[axis];
  blocks_ = (p.outChannels + kChannels - 1) / kChannels;
  prefetchX_ = p.inputElements() * static_cast<int64_t>(sizeof(float)) >= kPrefetchInputBytes && p.outChannels >= kPrefetchMinOutputs &&
               p.outChannels <= kPrefetchMaxOutputs;
  const int64_t count = s_[0] * s_[1] * s_[2];
  phases_.resize(static_cast<std::size_t>(count));
  for (int64_t index = 0; index < count; ++index) {
    Phase& phase = phases_[static_cast<std::size_t>(index)];
    int64_t rest = index;
    for (int axis = 2; axis >= 0; --axis) {
      phase.axes[axis].phase = rest % s_[axis];
      rest /= s_[axis];
    }
    phase.taps = 1;
    for (int axis = 0; axis < 3; ++axis) {
      PhaseAxis& ax = phase.axes[axis];
      const int64_t s = a.s[axis], d = a.d[axis];
      ax.size = phaseSize(ax.phase, s, a.out[axis]);
      PhaseAxisTaps lists = phaseAxisTaps(ax.phase, s, a.k[axis], d, a.pb[axis]);
      ax.taps = std::move(lists.taps);
      ax.offsets = std::move(lists.offsets);
      if (!ax.offsets.empty()) {
        ax.interiorFrom = -*std::min_element(ax.offsets.begin(), ax.offsets.end());
        ax.interiorTo = a.in[axis] - *std::max_element(ax.offsets.begin(), ax.offsets.end());
      } else {
        ax.interiorTo = a.in[axis];
      }
      phase.taps *= static_cast<int64_t>(ax.taps.size());
    }
    if (phase.taps > kMaxTaps) throw Error(ErrorKind::Error, "PhaseKernel: a phase has too many taps");
    phase.packedAt = packedElements_;
    packedElements_ += static_cast<std::size_t>(blocks_ * phase.taps * p.inChannels * kChannels);
  }
  zeros_.assign(static_cast<std::size_t>(p.inChannels), 0.f);
  // Per filter tap, for pack(): where its block 0 starts in the packed weights, and the distance to
  // the next block.
  packStart_.assign(static_cast<std::size_t>(a.k[0] * a.k[1] * a.k[2]), 0);
  packBlockStride_.assign(packStart_.size(), 0);
  for (const Phase& phase : phases_) {
    int64_t t = 0;
    for (int64_t kd : phase.axes[0].taps)
      for (int64_t kh : phase.axes[1].taps)
        for (int64_t kw : phase.axes[2].taps) {
          const auto tap = static_cast<std::size_t>((kd * a.k[1] + kh) * a.k[2] + kw);
          packStart_[tap] = static_cast<int64_t>(phase.packedAt) + t++ * p.inChannels * kChannels;
          packBlockStride_[tap] = phase.taps * p.inChannels * kChannels;
        }
  }
  // Blocked order where a phase's weights per block of output channels outgrow a share of L2.
  int64_t mostTaps = 0;
  for (const Phase& phase : phases_) mostTaps = std::max(mostTaps, phase.taps);
  if (mostTaps * p.inChannels * kChannels * static_cast<int64_t>(sizeof(float)) > kStreamingWeightBytes)
    chunk_ = kChunkWeightBytes / (kChannels * static_cast<int64_t>(sizeof(float)));  // taps × channels per chunk
  if (p.layout == Layout::ChannelsFirst) {
    xToChannelsLast_ = LayoutReorder(p.batch, p.inChannels, p.inSpatial, p.rank, Layout::ChannelsFirst);
    yToChannelsFirst_ = LayoutReorder(p.batch, p.outChannels, p.outSpatial, p.rank, Layout::ChannelsLast);
  }
  for (const Phase& phase : phases_) {
    const int64_t pixels = p.batch * phase.axes[0].size * phase.axes[1].size * phase.axes[2].size;
    stretches_ = std::max(stretches_, (pixels + kStretch - 1) / kStretch);
  }
}

// Each filter tap belongs to one phase (along each axis, (p + pb − k·d) mod s decides); its
// weights go to that phase's blocks at the tap's place among the phase's taps. The loops read w in
// order (TF: each tap's M × C matrix, 16 rows at a time; ONNX: each input channel's M × taps),
// the threads taking taps or input channels: plain calls pack on every call (radford-1's 52 MB
// took 42 ms going phase by phase through an ONNX filter, skipping taps-wide across it).
void PhaseKernel::pack(const float* w, float* out) const {
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t C = p.inChannels, M = p.outChannels, taps = a.k[0] * a.k[1] * a.k[2];
  const std::vector<int64_t>& start = packStart_;
  const std::vector<int64_t>& blockStride = packBlockStride_;
  applyThreadCount();
  constexpr int64_t kTileChannels = 16;
  if (p.filterLayout == FilterLayout::SpatialOutIn) {  // TF: [taps][M][C]
    // Each (tap, block): its 16 rows of C, 16 channels at a time copied into a tile and written
    // transposed (reading the 16 rows value by value, C·4 bytes apart, was as slow as the ONNX
    // case: at C = 1024 they share one set of the L1 cache).
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t tap = 0; tap < taps; ++tap)
      for (int64_t block = 0; block < blocks_; ++block) {
        float* to = out + start[static_cast<std::size_t>(tap)] + block * blockStride[static_cast<std::size_t>(tap)];
        const int64_t valid = std::min(kChannels, M - block * kChannels);
        float tile[kChannels][kTileChannels] = {};
        for (int64_t c0 = 0; c0 < C; c0 += kTileChannels) {
          const int64_t channels = std::min(kTileChannels, C - c0);
          for (int64_t j = 0; j < valid; ++j) {
            const float* row = w + (tap * M + block * kChannels + j) * C + c0;
            std::copy(row, row + channels, tile[j]);
          }
          for (int64_t cc = 0; cc < channels; ++cc)
            for (int64_t j = 0; j < kChannels; ++j) *to++ = tile[j][cc];
        }
      }
    return;
  }
  // ONNX: [C][M][taps]. By tiles of 16 input channels × one block: its rows (taps values each)
  // copied into a buffer, then each tap's 16 × 16 values written in one run (writing a value to
  // every tap's place in turn stalled on stores spread over taps·C·64 B, 28 ms of radford-1's 52 MB).
  const int64_t tiles = (C + kTileChannels - 1) / kTileChannels;
#pragma omp parallel
  {
    std::vector<float> tile(static_cast<std::size_t>(kTileChannels * kChannels * taps));
#pragma omp for collapse(2) schedule(static)
    for (int64_t index = 0; index < tiles; ++index) {
      for (int64_t block = 0; block < blocks_; ++block) {
        const int64_t c0 = index * kTileChannels, channels = std::min(kTileChannels, C - c0);
        const int64_t valid = std::min(kChannels, M - block * kChannels);
        for (int64_t cc = 0; cc < channels; ++cc) {
          float* rows = tile.data() + cc * kChannels * taps;
          const float* from = w + ((c0 + cc) * M + block * kChannels) * taps;
          std::copy(from, from + valid * taps, rows);
          std::fill(rows + valid * taps, rows + kChannels * taps, 0.f);
        }
        for (int64_t tap = 0; tap < taps; ++tap) {
          float* to = out + start[static_cast<std::size_t>(tap)] + block * blockStride[static_cast<std::size_t>(tap)] + c0 * kChannels;
          for (int64_t q = 0; q < channels * kChannels; ++q) to[q] = tile[static_cast<std::size_t>(q * taps + tap)];
        }
      }
    }
  }
}

void PhaseKernel::executePacked(const float* x, const float* packed, const float* bias, float* y) const { run(x, packed, bias, y); }

// Two orders of work, by the weights' size. Streaming (a phase's weights per block of 16 output
// channels fit in L2 with room to spare): work items are (stretch of kStretch of a phase's output
// pixels, numbered across rows and images; phase), phase fastest, so that the phases' k-th
// stretches, which cover about the same region of x and y, run one after the other and the
// threads go through the layer once, region by region (at batch 4, style-up-64's 8 MiB of x read
// once per phase cost a quarter of the time); each tile of 6 pixels goes through every block of
// output channels while its inputs are in the L1 cache. Blocked (weights that fill half of L2 or
// more: radford-1's 9 taps of 1024 channels are 576 KiB per block): work items are (phase, block),
// each block's weights going through every pixel of the phase in turn, read in order (from L3
// where L2 cannot hold them: a steady stream the prefetchers keep up with); past 1 MiB per block,
// in chunks of input channels, the sums so far kept in y. Threads take items in turn (phases
// differ in taps, so in work).
void PhaseKernel::run(const float* x, const float* packed, const float* bias, float* y) const {
#if !DECONV_AVX2_KERNELS
  (void)x, (void)packed, (void)bias, (void)y;
  throw Error(ErrorKind::Error, "PhaseKernel: not built for this CPU");
#else
  applyThreadCount();
  const Problem& p = problem_;
  const int64_t phaseCount = static_cast<int64_t>(phases_.size());
  // Channels first, x is reordered channels last on the way in, and y computed channels last into
  // scratch, then reordered into place (a transposing reorder by oneDNN runs at memory speed,
  // where scattering each pixel's values to their channel planes took a third of the time; staging
  // a stretch of each pair of W phases and writing whole rows of each plane with AVX transposes
  // ran no faster than the reorder: 3d-k3s2 7.7 ms both ways, style-up-64 18.6 against 18.0; nor
  // did an AVX transpose of our own in place of oneDNN's reorder).
  const bool channelsFirst = p.layout == Layout::ChannelsFirst;
  float* callerY = y;
  if (channelsFirst) {
    auto* reordered = static_cast<float*>(threadScratch(3, xToChannelsLast_.bytes()));
    xToChannelsLast_.execute(threadStream(), x, reordered);
    threadStream().wait();
    x = reordered;
    y = static_cast<float*>(threadScratch(4, yToChannelsFirst_.bytes()));
  }
  const Buffers buffers{x, packed, bias, y};
  if (chunk_ == 0) {
    const int64_t items = stretches_ * phaseCount;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) {
      const Phase& ph = phases_[static_cast<std::size_t>(item % phaseCount)];
      const int64_t pixelCount = p.batch * ph.axes[0].size * ph.axes[1].size * ph.axes[2].size;
      const int64_t begin = item / phaseCount * kStretch, end = std::min(pixelCount, begin + kStretch);
      if (begin >= end) continue;  // a phase with fewer outputs than the largest
      compute(ph, begin, end, 0, blocks_, 0, p.inChannels, buffers);
    }
  } else {
    const int64_t items = phaseCount * blocks_;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) {
      const Phase& ph = phases_[static_cast<std::size_t>(item / blocks_)];
      const int64_t block = item % blocks_;
      const int64_t pixelCount = p.batch * ph.axes[0].size * ph.axes[1].size * ph.axes[2].size;
      if (pixelCount == 0) continue;
      const int64_t depth = ph.taps == 0 ? p.inChannels : std::max<int64_t>(8, chunk_ / ph.taps);
      for (int64_t c0 = 0; c0 < p.inChannels; c0 += depth)
        compute(ph, 0, pixelCount, block, block + 1, c0, std::min(depth, p.inChannels - c0), buffers);
    }
  }
  if (channelsFirst) {
    yToChannelsFirst_.execute(threadStream(), y, callerY);
    threadStream().wait();
  }
#endif
}

#if DECONV_AVX2_KERNELS
// Output pixels [begin, end) of the phase (numbered across rows and images), channel blocks
// [blockBegin, blockEnd), input channels [c0, c0 + depth): the first chunk starts from the bias,
// later ones from the sums in y; the last applies the activation. A pixel's position is counted
// on from the previous one's (no divisions: at 6 pixels and 4 taps per tile, working it out
// afresh cost half as much as a block's arithmetic).
void PhaseKernel::compute(const Phase& ph, int64_t begin, int64_t end, int64_t blockBegin, int64_t blockEnd, int64_t c0, int64_t depth,
                          const Buffers& buffers) const {
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t C = p.inChannels, M = p.outChannels;
  const int64_t plane = a.out[0] * a.out[1] * a.out[2];
  const float* x = buffers.x;
  float* y = buffers.y;
  const float* zeros = zeros_.data();
  const bool first = c0 == 0, last = c0 + depth >= C;
  const PhaseAxis* axes = ph.axes;

  // The phase's taps, (d, h, w) row-major as pack() lays out their weights: each one's input
  // offset per axis, and its distance in x from the input at offset 0.
  const int64_t taps = ph.taps;
  int64_t offset[kMaxTaps][3], distance[kMaxTaps];
  {
    int64_t t = 0;
    for (int64_t od : axes[0].offsets)
      for (int64_t oh : axes[1].offsets)
        for (int64_t ow : axes[2].offsets) {
          offset[t][0] = od, offset[t][1] = oh, offset[t][2] = ow;
          distance[t] = ((od * a.in[1] + oh) * a.in[2] + ow) * C + c0;
          ++t;
        }
  }
  // The first pixel's (image, j per axis); later ones count on.
  int64_t j[3], n;
  {
    int64_t rest = begin;
    for (int axis = 2; axis >= 0; --axis) {
      j[axis] = rest % axes[axis].size;
      rest /= axes[axis].size;
    }
    n = rest;
  }
  const float* pixels[kMaxTaps * kPixels];
  int64_t target[kPixels];  // each pixel's place in y (channels last)
  float* out[kPixels];
  const float* from[kPixels];
  alignas(32) float bias16[kChannels] = {};
  alignas(32) float partial[kPixels][kChannels];  // a partial block's sums so far, padded to 16
  const float* zerosC = zeros + c0;
  const bool prefetchX = prefetchX_ && blockEnd - blockBegin >= 2;  // see kPrefetchInputBytes
  for (int64_t tile = begin; tile < end; tile += kPixels) {
    const int count = static_cast<int>(std::min<int64_t>(kPixels, end - tile));
    for (int r = 0; r < count; ++r) {
      const int64_t od = axes[0].phase + s_[0] * j[0], oh = axes[1].phase + s_[1] * j[1], ow = axes[2].phase + s_[2] * j[2];
      target[r] = (n * plane + (od * a.out[1] + oh) * a.out[2] + ow) * M;
      const float* origin = x + (((n * a.in[0] + j[0]) * a.in[1] + j[1]) * a.in[2] + j[2]) * C;
      if (j[0] >= axes[0].interiorFrom && j[0] < axes[0].interiorTo && j[1] >= axes[1].interiorFrom && j[1] < axes[1].interiorTo &&
          j[2] >= axes[2].interiorFrom && j[2] < axes[2].interiorTo) {
        for (int64_t t = 0; t < taps; ++t) pixels[t * count + r] = origin + distance[t];
      } else {
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t id = j[0] + offset[t][0], ih = j[1] + offset[t][1], iw = j[2] + offset[t][2];
          const bool inside = id >= 0 && id < a.in[0] && ih >= 0 && ih < a.in[1] && iw >= 0 && iw < a.in[2];
          pixels[t * count + r] = inside ? origin + distance[t] : zerosC;
        }
      }
      for (int axis = 2; axis >= 0; --axis) {  // the next pixel
        if (++j[axis] < axes[axis].size) break;
        j[axis] = 0;
        if (axis == 0) ++n;
      }
    }
    if (prefetchX && count == kPixels) {
      // The next tile's inputs, into L2, while this one computes: the same taps' rows, kPixels
      // pixels on (where the next tile wraps to another row, lines nearby, which is harmless:
      // prefetches do not fault). Into L1 instead: no faster. The next tile's y for writing as
      // well: 2-5% slower.
      for (int64_t t = 0; t < taps; ++t) {
        const char* next = reinterpret_cast<const char*>(pixels[t * count] + kPixels * C);
        for (int64_t byte = 0; byte < kPixels * C * static_cast<int64_t>(sizeof(float)); byte += 64) _mm_prefetch(next + byte, _MM_HINT_T1);
      }
    }
    // Whole blocks from the bias: one call for all of them.
    int64_t block = blockBegin;
    if (first) {
      const int64_t whole = std::min(blockEnd, M / kChannels) - blockBegin;
      if (whole > 0) {
        for (int r = 0; r < count; ++r) out[r] = y + target[r] + blockBegin * kChannels;
        const float* blockWeights = buffers.packed + ph.packedAt + blockBegin * taps * C * kChannels + c0 * kChannels;
        kBlocksKernels[count - 1](pixels, taps, depth, blockWeights, C * kChannels, taps * C * kChannels, whole,
                                  buffers.bias != nullptr ? buffers.bias + blockBegin * kChannels : nullptr, out);
        if (last && p.activation != Activation::None) {
          for (int r = 0; r < count; ++r)
            for (int64_t m = 0; m < whole * kChannels; ++m) out[r][m] = activate(p, out[r][m]);
        }
        block += whole;
      }
    }
    for (; block < blockEnd; ++block) {
      const int64_t m0 = block * kChannels, valid = std::min(kChannels, M - m0);
      const int64_t lanes = valid > 8 ? 16 : 8;
      const float* blockWeights = buffers.packed + ph.packedAt + block * taps * C * kChannels + c0 * kChannels;
      if (first && buffers.bias != nullptr) std::copy(buffers.bias + m0, buffers.bias + m0 + valid, bias16);
      for (int r = 0; r < count; ++r) {
        out[r] = y + target[r] + m0;
        if (first) {
          from[r] = bias16;
        } else if (valid == lanes) {
          from[r] = out[r];
        } else {  // the kernel loads whole vectors: not past the block's end in y
          std::fill(partial[r], partial[r] + kChannels, 0.f);
          std::copy(out[r], out[r] + valid, partial[r]);
          from[r] = partial[r];
        }
      }
      (valid > 8 ? kKernels16 : kKernels8)[count - 1](pixels, blockWeights, C * kChannels, taps, depth, from, out, valid);
      if (last && p.activation != Activation::None) {
        for (int r = 0; r < count; ++r)
          for (int64_t m = 0; m < valid; ++m) out[r][m] = activate(p, out[r][m]);
      }
    }
  }
}
#endif

}  // namespace deconv::onednn
