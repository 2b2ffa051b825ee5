#include "phase_rows.h"

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

// D × H taps of a phase up to which the way is offered (the row's pointer tables live on the stack).
constexpr int64_t kMaxTaps = 64;
// W taps of a W phase up to which the way is offered (the kernels are made for 1 to 3).
constexpr int kMaxWTaps = 3;
// Output rows per work item at most: the x rows they read are staged once for all of them.
constexpr int64_t kRowsPerItem = 128;
// Staged x per work item at most where items are runs of calls along a row (half of L2).
constexpr int64_t kStageBytes = 256 << 10;

#if DECONV_AVX2_KERNELS

// What one call of the kernels works on: a row's D × H taps, a run of kChunk-output steps along
// it, every block of output channels.
struct RowCall {
  const float* const* rows;   // per tap, its staged x rows (C rows of `width` floats) at the run's first input
  const int64_t* tapIndex;    // per tap, its place among the D × H phase's taps (the packed weights' order)
  int64_t taps, C, width;
  const int64_t* columns[2];  // per W phase, its W taps' columns in the staged rows
  const int64_t* blockStart;  // the blocks' first output channels, then M
  int64_t blocks;
  const float* weights;       // the D × H phase's packed weights
  int64_t phaseTaps;          // its taps (reached or not)
  int wTaps[2];               // W taps of each W phase
  const float* bias;          // or null
  float* y;                   // the run's first output at channel 0
  int64_t plane;              // channel planes' distance in y
  int64_t steps, outputs;     // steps of kChunk (32 outputs of the row each); outputs of the row from y on
};

// One W phase of CB output channels × 16 consecutive outputs j of the phase along a row: starts
// from the bias (or zero), adds for each D × H tap the products of its staged x rows (from column
// `at` on) with its packed weights (per input channel, the phase's NT W taps × CB channels). Phase
// 0 (FIRST) leaves its sums in `evens`; phase 1 interleaves them with its own and stores the first
// `valid` outputs of channel i at y + i·plane. Each tap broadcasts one weight per channel against
// two vectors of x: 12 accumulators at 6 channels (both phases at once, 3 channels × 2 phases × 2
// vectors, took as many broadcasts as FMAs over loads: 83% of the FMA peak on one core where this
// takes 90%).
template <int CB, int NT, bool FIRST>
__attribute__((target("avx2,fma"), always_inline)) inline void phaseBlock(const RowCall& call, int64_t at, const float* weights,
                                                                          const float* bias, float* evens, float* y, int64_t valid) {
  __m256 acc[CB][2];
#pragma GCC unroll 6
  for (int i = 0; i < CB; ++i) acc[i][0] = acc[i][1] = bias != nullptr ? _mm256_broadcast_ss(bias + i) : _mm256_setzero_ps();
  int64_t column[NT];
#pragma GCC unroll 3
  for (int k = 0; k < NT; ++k) column[k] = call.columns[FIRST ? 0 : 1][k] + at;
  const int64_t C = call.C, width = call.width, tapFloats = C * NT * CB;
  for (int64_t t = 0; t < call.taps; ++t) {
    const float* x = call.rows[t];
    const float* w = weights + call.tapIndex[t] * tapFloats;
    for (int64_t c = 0; c < C; ++c, x += width, w += NT * CB) {
#pragma GCC unroll 3
      for (int k = 0; k < NT; ++k) {
        const __m256 x0 = _mm256_loadu_ps(x + column[k]);
        const __m256 x1 = _mm256_loadu_ps(x + column[k] + 8);
#pragma GCC unroll 6
        for (int i = 0; i < CB; ++i) {
          const __m256 b = _mm256_broadcast_ss(w + k * CB + i);
          acc[i][0] = _mm256_fmadd_ps(b, x0, acc[i][0]);
          acc[i][1] = _mm256_fmadd_ps(b, x1, acc[i][1]);
        }
      }
    }
  }
  if (FIRST) {
#pragma GCC unroll 6
    for (int i = 0; i < CB; ++i) {
      _mm256_storeu_ps(evens + 16 * i, acc[i][0]);
      _mm256_storeu_ps(evens + 16 * i + 8, acc[i][1]);
    }
    return;
  }
#pragma GCC unroll 6
  for (int i = 0; i < CB; ++i) {
    alignas(32) float lanes[32];
    float* out = valid == 32 ? y + i * call.plane : lanes;
#pragma GCC unroll 2
    for (int v = 0; v < 2; ++v) {
      const __m256 even = _mm256_loadu_ps(evens + 16 * i + 8 * v);
      // (e0 o0 e1 o1 | e4 o4 e5 o5) and (e2 o2 e3 o3 | e6 o6 e7 o7): halves swapped into order.
      const __m256 low = _mm256_unpacklo_ps(even, acc[i][v]);
      const __m256 high = _mm256_unpackhi_ps(even, acc[i][v]);
      _mm256_storeu_ps(out + 16 * v, _mm256_permute2f128_ps(low, high, 0x20));
      _mm256_storeu_ps(out + 16 * v + 8, _mm256_permute2f128_ps(low, high, 0x31));
    }
    if (valid != 32) std::memcpy(y + i * call.plane, lanes, static_cast<std::size_t>(valid) * sizeof(float));
  }
}

// Both W phases of every block of output channels along a run of a row: one call per row (a call
// per block cost 7% of 3d-k3s2 in setting up its eleven arguments and pointer tables), each block
// through the whole run while its weights are in the L1 cache (unet-3, 4 steps a row: its 256 KiB
// of weights per D × H phase read for each step took 25% longer).
template <int CB, int NE, int NO>
__attribute__((target("avx2,fma"), always_inline)) inline void blockRun(const RowCall& call, int64_t m0) {
  // The block's weights: [W phase][D × H tap][c][W tap][channel], phase 0's first.
  const float* weights = call.weights + call.phaseTaps * call.C * (NE + NO) * m0;
  const float* oddWeights = weights + call.phaseTaps * call.C * NE * CB;
  const float* bias = call.bias != nullptr ? call.bias + m0 : nullptr;
  float* y = call.y + m0 * call.plane;
  alignas(32) float evens[16 * CB];
  for (int64_t step = 0; step < call.steps; ++step) {
    const int64_t valid = std::min<int64_t>(2 * PhaseRows::kChunk, call.outputs - 2 * PhaseRows::kChunk * step);
    phaseBlock<CB, NE, true>(call, PhaseRows::kChunk * step, weights, bias, evens, y, valid);
    phaseBlock<CB, NO, false>(call, PhaseRows::kChunk * step, oddWeights, bias, evens, y + 2 * PhaseRows::kChunk * step, valid);
  }
}

template <int NE, int NO>
__attribute__((target("avx2,fma,prfchw"))) void rowBlocks(const RowCall& call) {
  // The first 128 outputs of each row (the hardware prefetcher takes over along longer rows).
  const int64_t prefetched = std::min<int64_t>({call.outputs, 2 * PhaseRows::kChunk * call.steps, 128});
  for (int64_t b = 0; b < call.blocks; ++b) {
    const int64_t m0 = call.blockStart[b];
    // The next block's outputs, fetched for writing while this block computes: on 3d-k3s2 (rows of
    // 32 outputs, each block's call short) the stores otherwise waited for their lines, 8% of the
    // time on one thread and more in this machine's slow spells.
    if (b + 1 < call.blocks) {
      for (int64_t m = call.blockStart[b + 1]; m < call.blockStart[b + 2]; ++m)
        for (int64_t k = 0; k < prefetched; k += 16) __builtin_prefetch(call.y + m * call.plane + k, 1, 3);
    }
    switch (call.blockStart[b + 1] - m0) {
      case 6: blockRun<6, NE, NO>(call, m0); break;
      case 5: blockRun<5, NE, NO>(call, m0); break;
      case 4: blockRun<4, NE, NO>(call, m0); break;
      case 3: blockRun<3, NE, NO>(call, m0); break;
      case 2: blockRun<2, NE, NO>(call, m0); break;
      default: blockRun<1, NE, NO>(call, m0); break;
    }
  }
}

using RowBlocks = void (*)(const RowCall&);
// [W phase 0's taps − 1][W phase 1's taps − 1].
constexpr RowBlocks kRowBlocks[3][3] = {
    {rowBlocks<1, 1>, rowBlocks<1, 2>, rowBlocks<1, 3>},
    {rowBlocks<2, 1>, rowBlocks<2, 2>, rowBlocks<2, 3>},
    {rowBlocks<3, 1>, rowBlocks<3, 2>, rowBlocks<3, 3>},
};
#endif

}  // namespace

bool PhaseRows::supports(const Problem& p) {
  if (p.layout != Layout::ChannelsFirst || p.groups != 1 || !cpuHasAvx2Kernels()) return false;
  const Axes3 a(p);
  if (a.s[2] != 2) return false;
  for (int64_t phase = 0; phase < 2; ++phase) {
    const std::size_t count = phaseTaps(phase, 2, a.k[2], a.d[2], a.pb[2]).size();
    if (count < 1 || count > kMaxWTaps) return false;
  }
  int64_t mostD = 0, mostH = 0;
  for (int64_t phase = 0; phase < a.s[0]; ++phase)
    mostD = std::max<int64_t>(mostD, static_cast<int64_t>(phaseTaps(phase, a.s[0], a.k[0], a.d[0], a.pb[0]).size()));
  for (int64_t phase = 0; phase < a.s[1]; ++phase)
    mostH = std::max<int64_t>(mostH, static_cast<int64_t>(phaseTaps(phase, a.s[1], a.k[1], a.d[1], a.pb[1]).size()));
  return mostD * mostH <= kMaxTaps;
}

bool PhaseRows::worthTiming(const Problem& p) { return supports(p) && phaseSize(0, 2, Axes3(p).out[2]) > 8; }

PhaseRows::PhaseRows(const Problem& problem, MathMode math) : problem_(problem) {
  if (!supports(problem)) throw Error(ErrorKind::Error, "PhaseRows: not channels first, more than one group, no stride 2 along W, or no AVX2");
  if (math != MathMode::Float32) throw Error(ErrorKind::Error, "PhaseRows: float32 math only");
  const Problem& p = problem_;
  const Axes3 a(p);
  for (int axis = 0; axis < 2; ++axis) {
    for (int64_t phase = 0; phase < a.s[axis]; ++phase)
      dh_[axis].push_back(phaseAxisTaps(phase, a.s[axis], a.k[axis], a.d[axis], a.pb[axis]));
  }
  // W taps: kernel index and input offset; staged rows start at the least offset.
  int64_t offsets[2][kMaxWTaps] = {};
  least_ = INT64_MAX;
  int64_t most = INT64_MIN;
  for (int phase = 0; phase < 2; ++phase) {
    for (const PhaseTap& tap : phaseTaps(phase, 2, a.k[2], a.d[2], a.pb[2])) {
      wTaps_[phase][wCount_[phase]] = tap.k;
      offsets[phase][wCount_[phase]++] = tap.offset;
      least_ = std::min(least_, tap.offset);
      most = std::max(most, tap.offset);
    }
  }
  for (int phase = 0; phase < 2; ++phase)
    for (int k = 0; k < wCount_[phase]; ++k) wColumn_[phase][k] = offsets[phase][k] - least_;
  // Phase 0 has the most outputs along W (ceil(OW / 2)); each call covers kChunk of each phase.
  chunks_ = (phaseSize(0, 2, a.out[2]) + kChunk - 1) / kChunk;
  span_ = most - least_;

  for (int64_t pd = 0; pd < a.s[0]; ++pd) {
    for (int64_t ph = 0; ph < a.s[1]; ++ph) {
      DhPhase phase;
      phase.phase[0] = pd, phase.phase[1] = ph;
      phase.taps = static_cast<int64_t>(dh_[0][pd].taps.size() * dh_[1][ph].taps.size());
      phase.packedAt = packedElements_;
      packedElements_ += static_cast<std::size_t>(phase.taps * p.inChannels * p.outChannels * (wCount_[0] + wCount_[1]));
      dhPhases_.push_back(phase);
    }
  }
  // Blocks of output channels: as few as hold at most kChannels each, their sizes within one of
  // each other (32 channels: 6, 6, 5, 5, 5, 5).
  const int64_t blocks = (p.outChannels + kChannels - 1) / kChannels;
  for (int64_t b = 0; b <= blocks; ++b) blockStart_.push_back(b * (p.outChannels / blocks) + std::min(b, p.outChannels % blocks));
  // Work items: enough for the threads to share out (eight each). Runs of whole rows (H) of up to
  // kRowsPerItem, or of whole planes (D) of up to kRowsPerItem rows in all, so that the x rows they
  // share are staged once (each is read by the rows of every phase); where there are too few rows
  // (long 1-D signals), runs of calls along a row, their staged x within kStageBytes.
  const int64_t rows = p.batch * a.out[0] * a.out[1], wanted = 8 * static_cast<int64_t>(numThreads());
  const int64_t perItem = std::clamp<int64_t>(rows / wanted, 1, kRowsPerItem);
  ohRun_ = std::min(perItem, a.out[1]);
  odRun_ = std::max<int64_t>(1, perItem / a.out[1]);
  chunkRun_ = chunks_;
  if (rows < wanted) {
    const int64_t fitting = std::max<int64_t>(1, kStageBytes / (p.inChannels * kChunk * static_cast<int64_t>(sizeof(float))));
    chunkRun_ = std::clamp<int64_t>((chunks_ * rows + wanted - 1) / wanted, 1, fitting);
  }
}

// The weights in the order the kernels read them: per D × H phase, per block of output channels,
// per W phase, per D × H tap (D major) and input channel, the W phase's taps × the block's channels.
void PhaseRows::pack(const float* w, float* out) const {
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t C = p.inChannels, M = p.outChannels, blocks = static_cast<int64_t>(blockStart_.size()) - 1;
  const int64_t kernelTaps = a.k[0] * a.k[1] * a.k[2];
  const int NW = wCount_[0] + wCount_[1];
  const bool tf = p.filterLayout == FilterLayout::SpatialOutIn;  // [taps][M][C]; ONNX: [C][M][taps]
  const int64_t phases = static_cast<int64_t>(dhPhases_.size());
  applyThreadCount();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t index = 0; index < phases; ++index) {
    for (int64_t block = 0; block < blocks; ++block) {
      const DhPhase& phase = dhPhases_[static_cast<std::size_t>(index)];
      const PhaseAxisTaps& dTaps = dh_[0][static_cast<std::size_t>(phase.phase[0])];
      const PhaseAxisTaps& hTaps = dh_[1][static_cast<std::size_t>(phase.phase[1])];
      const int64_t m0 = blockStart_[static_cast<std::size_t>(block)], m1 = blockStart_[static_cast<std::size_t>(block) + 1];
      float* to = out + phase.packedAt + phase.taps * C * NW * m0;
      for (int wPhase = 0; wPhase < 2; ++wPhase)
        for (int64_t kd : dTaps.taps)
          for (int64_t kh : hTaps.taps)
            for (int64_t c = 0; c < C; ++c)
              for (int k = 0; k < wCount_[wPhase]; ++k)
                for (int64_t m = m0; m < m1; ++m) {
                  const int64_t tap = (kd * a.k[1] + kh) * a.k[2] + wTaps_[wPhase][k];
                  *to++ = tf ? w[(tap * M + m) * C + c] : w[(c * M + m) * kernelTaps + tap];
                }
    }
  }
}

void PhaseRows::executePacked(const float* x, const float* packed, const float* bias, float* y) const { run(x, packed, bias, y); }

// Threads take the work items in turn (the rows' phases differ in taps, so in work).
void PhaseRows::run(const float* x, const float* packed, const float* bias, float* y) const {
#if !DECONV_AVX2_KERNELS
  (void)x, (void)packed, (void)bias, (void)y;
  throw Error(ErrorKind::Error, "PhaseRows: not built for this CPU");
#else
  applyThreadCount();
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t ohRuns = (a.out[1] + ohRun_ - 1) / ohRun_, odRuns = (a.out[0] + odRun_ - 1) / odRun_;
  const int64_t chunkRuns = (chunks_ + chunkRun_ - 1) / chunkRun_;
  const int64_t items = p.batch * odRuns * ohRuns * chunkRuns;
#pragma omp parallel
  {
    Scratch scratch;
#pragma omp for schedule(dynamic, 1)
    for (int64_t index = 0; index < items; ++index) {
      Item item;
      item.n = index / (odRuns * ohRuns * chunkRuns);
      const int64_t odRun = index / (ohRuns * chunkRuns) % odRuns, ohRun = index / chunkRuns % ohRuns, chunkRun = index % chunkRuns;
      item.chunk[0] = chunkRun * chunkRun_, item.chunk[1] = std::min(chunks_, item.chunk[0] + chunkRun_);
      item.od[0] = odRun * odRun_, item.od[1] = std::min(a.out[0], item.od[0] + odRun_);
      item.oh[0] = ohRun * ohRun_, item.oh[1] = std::min(a.out[1], item.oh[0] + ohRun_);
      computeItem(item, x, packed, bias, y, scratch);
    }
  }
#endif
}

#if DECONV_AVX2_KERNELS
namespace {
// The width of a staged row that must hold `columns` floats: a whole number of 64-byte cache lines,
// so that the kernel's pair of loads at a tap's column covers one line, not two (from a
// 16-byte-aligned std::vector with rows of 32-byte multiples, half its loads were split across
// lines: style-up-64 ran 2-6% slower); but a whole number of 32-byte vectors where whole lines
// would pad the row by more than an eighth again (3d-k3s2: 17 columns, 32 floats a row ran 2%
// slower than 24, its staged x a third larger).
int64_t stagedWidth(int64_t columns) {
  const int64_t vectors = (columns + 7) / 8 * 8, lines = (columns + 15) / 16 * 16;
  return lines * 8 <= vectors * 9 ? lines : vectors;
}

// The input rows [low, high] that outputs [begin, end) of an axis read through the phases' taps
// (empty when high < low).
void inputRange(const std::vector<PhaseAxisTaps>& phases, int64_t stride, int64_t inputs, int64_t begin, int64_t end, int64_t& low,
                int64_t& high) {
  low = INT64_MAX, high = INT64_MIN;
  for (int64_t o = begin; o < end; ++o)
    for (int64_t offset : phases[static_cast<std::size_t>(o % stride)].offsets) {
      const int64_t i = o / stride + offset;
      if (i >= 0 && i < inputs) low = std::min(low, i), high = std::max(high, i);
    }
}
}  // namespace

void PhaseRows::computeItem(const Item& item, const float* x, const float* packed, const float* bias, float* y, Scratch& scratch) const {
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t C = p.inChannels, M = p.outChannels;
  // Stage the x rows that the item's output rows read: [id][ih][c][W], input iw at column
  // iw − first, zeros around, wide enough for the last call's loads at the largest offset (see
  // stagedWidth), in a buffer that starts on a cache line. Read plane by plane, each plane's rows
  // in order.
  const int64_t first = item.chunk[0] * kChunk + least_;
  const int64_t W = stagedWidth((item.chunk[1] - item.chunk[0]) * kChunk + span_);
  int64_t idLow, idHigh, ihLow, ihHigh;
  inputRange(dh_[0], a.s[0], a.in[0], item.od[0], item.od[1], idLow, idHigh);
  inputRange(dh_[1], a.s[1], a.in[1], item.oh[0], item.oh[1], ihLow, ihHigh);
  const int64_t idCount = std::max<int64_t>(0, idHigh - idLow + 1), ihCount = std::max<int64_t>(0, ihHigh - ihLow + 1);
  AlignedVector<float>& stage = scratch.stage;
  stage.resize(static_cast<std::size_t>(std::max<int64_t>(1, idCount * ihCount * C * W)));
  const int64_t from = std::clamp<int64_t>(-first, 0, W), to = std::clamp<int64_t>(a.in[2] - first, from, W);
  for (int64_t d = 0; d < idCount; ++d)
    for (int64_t c = 0; c < C; ++c) {
      const float* source = x + (((item.n * C + c) * a.in[0] + idLow + d) * a.in[1] + ihLow) * a.in[2];
      for (int64_t r = 0; r < ihCount; ++r, source += a.in[2]) {
        float* row = stage.data() + ((d * ihCount + r) * C + c) * W;
        std::fill(row, row + from, 0.f);
        std::copy(source + first + from, source + first + to, row + from);
        std::fill(row + to, row + W, 0.f);
      }
    }

  RowCall call{};
  call.C = C, call.width = W;
  call.blockStart = blockStart_.data(), call.blocks = static_cast<int64_t>(blockStart_.size()) - 1;
  call.columns[0] = wColumn_[0], call.columns[1] = wColumn_[1];
  call.wTaps[0] = wCount_[0], call.wTaps[1] = wCount_[1];
  call.bias = bias;
  call.plane = a.out[0] * a.out[1] * a.out[2];
  call.steps = item.chunk[1] - item.chunk[0];
  call.outputs = a.out[2] - 2 * kChunk * item.chunk[0];
  const RowBlocks rowKernel = kRowBlocks[wCount_[0] - 1][wCount_[1] - 1];
  for (int64_t od = item.od[0]; od < item.od[1]; ++od) {
    const int64_t pd = od % a.s[0], jd = od / a.s[0];
    const PhaseAxisTaps& dTaps = dh_[0][static_cast<std::size_t>(pd)];
    for (int64_t oh = item.oh[0]; oh < item.oh[1]; ++oh) {
      const int64_t ph = oh % a.s[1], jh = oh / a.s[1];
      const DhPhase& phase = dhPhases_[static_cast<std::size_t>(pd * a.s[1] + ph)];
      const PhaseAxisTaps& hTaps = dh_[1][static_cast<std::size_t>(ph)];
      const int64_t hCount = static_cast<int64_t>(hTaps.offsets.size());
      // The row's taps that read inside x: their staged rows, and each one's place among the
      // phase's taps.
      const float* rows[kMaxTaps];
      int64_t tapIndex[kMaxTaps], taps = 0;
      for (std::size_t i = 0; i < dTaps.offsets.size(); ++i) {
        const int64_t id = jd + dTaps.offsets[i];
        if (id < 0 || id >= a.in[0]) continue;
        for (int64_t k = 0; k < hCount; ++k) {
          const int64_t ih = jh + hTaps.offsets[static_cast<std::size_t>(k)];
          if (ih < 0 || ih >= a.in[1]) continue;
          rows[taps] = stage.data() + ((id - idLow) * ihCount + ih - ihLow) * C * W;
          tapIndex[taps++] = static_cast<int64_t>(i) * hCount + k;
        }
      }
      call.rows = rows, call.tapIndex = tapIndex, call.taps = taps;
      call.weights = packed + phase.packedAt, call.phaseTaps = phase.taps;
      call.y = y + ((item.n * M * a.out[0] + od) * a.out[1] + oh) * a.out[2] + 2 * kChunk * item.chunk[0];
      rowKernel(call);
      if (p.activation != Activation::None) {
        const int64_t outputs = std::min(call.outputs, 2 * kChunk * call.steps);
        for (int64_t m = 0; m < M; ++m)
          for (int64_t k = 0; k < outputs; ++k) call.y[m * call.plane + k] = activate(p, call.y[m * call.plane + k]);
      }
    }
  }
}
#endif

}  // namespace deconv::onednn
