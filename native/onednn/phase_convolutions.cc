#include "phase_convolutions.h"

#include <algorithm>
#include <exception>
#include <numeric>
#include <optional>
#include <string>
#include <unordered_map>

#include <omp.h>

#include "../core/activation.h"
#include "../core/axes3.h"
#include "../core/error.h"
#include "../core/phases.h"
#include "context.h"
#include "descriptors.h"
#include "post_ops.h"

namespace deconv::onednn {

namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

}  // namespace

bool PhaseConvolutions::supports(const Problem& p) {
  int64_t phases = 1;
  for (int i = 0; i < p.rank; ++i) phases *= p.strides[i];
  // A convolution per phase: the iSTFT's stride of 256 would build 256 of them.
  return phases > 1 && phases <= kMaxPhases;
}

PhaseConvolutions::PhaseConvolutions(const Problem& problem, MathMode math, Threads threads)
    : problem_(problem), images_(problem.batch), acrossImages_(threads == Threads::AcrossImages) {
  if (!supports(problem)) throw Error(ErrorKind::Error, "PhaseConvolutions: no stride above 1, or too many phases");
  // Across images, everything below is made for one image, and run() loops over the batch; the
  // convolutions run on one thread each, so they are made for one (ThreadCountScope says why).
  std::optional<ThreadCountScope> single;
  if (acrossImages_) {
    problem_.batch = 1;
    single.emplace(1);
  }
  const Problem& p = problem_;
  const Axes3 a(p);
  const int r = p.rank, first = 3 - r;  // Axes3 axes first.. are the problem's
  const int64_t G = p.groups, M = p.outChannels, C = p.inChannels;
  // The convolutions read x channels last (oneDNN's fast kernels on AVX2 want it); channels first,
  // x is reordered into thread scratch first.
  const dims srcDims = concat({p.batch, C}, spatial(p.inSpatial, r));
  src_ = dnnl::memory::desc(srcDims, dt::f32, activationTag(r, Layout::ChannelsLast));
  if (p.layout == Layout::ChannelsFirst) xToChannelsLast_ = LayoutReorder(p.batch, C, p.inSpatial, r, Layout::ChannelsFirst);
  if (p.hasBias) bias_ = dnnl::memory::desc({M}, dt::f32, tag::a);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(activationPostOps(p));
  if (math == MathMode::Bf16) attr.set_fpmath_mode(dnnl::fpmath_mode::bf16);

  const int64_t phases = a.s[0] * a.s[1] * a.s[2];
  phaseAt_.assign(static_cast<std::size_t>(phases), -1);
  for (int64_t index = 0; index < phases; ++index) {
    Phase phase;
    int64_t rest = index;
    dims kernel, dilation, padL, padR, outSize;
    for (int axis = 2; axis >= 0; --axis) {
      phase.phase[axis] = rest % a.s[axis];
      rest /= a.s[axis];
    }
    for (int axis = 0; axis < 3; ++axis) {
      const int64_t ph = phase.phase[axis], s = a.s[axis], d = a.d[axis];
      phase.size[axis] = phaseSize(ph, s, a.out[axis]);
      // Taps in convolution order: descending k is ascending input offset.
      const std::vector<PhaseTap> taps = phaseTaps(ph, s, a.k[axis], d, a.pb[axis]);
      for (auto tap = taps.rbegin(); tap != taps.rend(); ++tap) phase.taps[axis].push_back(tap->k);
      if (phase.taps[axis].empty()) phase.empty = true;
      if (axis < first || phase.taps[axis].empty()) continue;
      const int64_t step = d / std::gcd(s, d);  // input offset between consecutive taps
      const int64_t count = static_cast<int64_t>(phase.taps[axis].size());
      // Output j reads input j − left + t·step. oneDNN takes no negative padding: where the
      // first tap is past the input's start (left < 0), the convolution computes −left more
      // outputs in front, which the interleaving copy skips.
      int64_t left = -taps.back().offset;  // the first tap in convolution order, the largest k
      if (left < 0) {
        phase.skip[axis] = -left;
        left = 0;
      }
      phase.stored[axis] = phase.size[axis] + phase.skip[axis];
      // Likewise at the end: where the outputs stop short of the input's end (negative right
      // padding), the convolution computes the outputs up to it, and the copy ignores them.
      int64_t right = phase.stored[axis] - a.in[axis] + (count - 1) * step - left;
      if (right < 0) {
        phase.stored[axis] -= right;
        right = 0;
      }
      kernel.push_back(count);
      dilation.push_back(step - 1);
      padL.push_back(left);
      padR.push_back(right);
      outSize.push_back(phase.stored[axis]);
    }
    if (phase.size[0] * phase.size[1] * phase.size[2] == 0) continue;  // no outputs at all
    for (int64_t kd : phase.taps[0])
      for (int64_t kh : phase.taps[1])
        for (int64_t kw : phase.taps[2]) phase.filterTaps.push_back((kd * a.k[1] + kh) * a.k[2] + kw);
    phase.outputAt = outputElements_;
    outputElements_ += static_cast<std::size_t>(p.batch * M * phase.stored[0] * phase.stored[1] * phase.stored[2]);
    if (!phase.empty) {
      phase.dst = dnnl::memory::desc(concat({p.batch, M}, outSize), dt::f32, activationTag(r, Layout::ChannelsLast));
      const dims weightDims = G == 1 ? concat({M, C}, kernel) : concat({G, M / G, C / G}, kernel);
      phase.gathered = gatheredDesc(weightDims, phase);
      const dnnl::memory::desc anyWeights(weightDims, dt::f32, tag::any);
      try {
        dnnl::convolution_forward::primitive_desc desc(cpuEngine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                       src_, anyWeights, bias_, phase.dst, dims(r, 1), dilation, padL, padR, attr);
        phase.primitive = dnnl::convolution_forward(desc);
        phase.weights = desc.weights_desc();
        phase.scratchpad = desc.scratchpad_desc();
        phase.weightsReorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), phase.gathered, cpuEngine(), phase.weights));
      } catch (const dnnl::error& e) {
        throw Error(ErrorKind::Error, std::string("oneDNN could not build a phase convolution: ") + e.what());
      }
      phase.packedAt = packedElements_;
      packedElements_ += (phase.weights.get_size() + 63) / 64 * 16;  // floats, each phase cache-line aligned
      gatheredBytes_ = std::max(gatheredBytes_, phase.gathered.get_size());
      scratchpadBytes_ = std::max(scratchpadBytes_, phase.scratchpad.get_size());
    }
    phaseAt_[index] = static_cast<int>(phases_.size());
    phases_.push_back(std::move(phase));
  }
}

const char* PhaseConvolutions::implementation() const {
  return acrossImages_ ? "deconv:phase_convolutions (a oneDNN convolution per output phase; threads across images)"
                       : "deconv:phase_convolutions (a oneDNN convolution per output phase; threads within each)";
}

// The phase's taps of w in the order of w itself (see gather()): ONNX's [C][Mg][taps] becomes
// [C][Mg][the phase's taps], TF's [taps][Mg][C] [the phase's taps][Mg][C], as strides of the
// convolution's [G,] O, I, K' dims, which oneDNN's reorder reads in any order.
dnnl::memory::desc PhaseConvolutions::gatheredDesc(const dnnl::memory::dims& weightDims, const Phase& phase) const {
  const Problem& p = problem_;
  const int r = p.rank, first = 3 - r;
  const int64_t G = p.groups, C = p.inChannels, Cg = C / G, Mg = p.outChannels / G;
  // The phase's taps per spatial dim (the problem's axes), and their row-major strides.
  dims spatialStrides(static_cast<std::size_t>(r));
  int64_t phaseTaps = 1;
  for (int i = r - 1; i >= 0; --i) {
    spatialStrides[static_cast<std::size_t>(i)] = phaseTaps;
    phaseTaps *= static_cast<int64_t>(phase.taps[first + i].size());
  }
  const bool tfFilter = p.filterLayout == FilterLayout::SpatialOutIn;
  // Strides of (g, mg, cg); each tap step is 1 (ONNX) or Mg·C (TF) of the spatial strides.
  const int64_t gStride = tfFilter ? Cg : Cg * Mg * phaseTaps, mStride = tfFilter ? C : phaseTaps, cStride = tfFilter ? 1 : Mg * phaseTaps;
  const int64_t tapStep = tfFilter ? Mg * C : 1;
  dims strides = G == 1 ? dims{mStride, cStride} : dims{gStride, mStride, cStride};
  for (const int64_t stride : spatialStrides) strides.push_back(stride * tapStep);
  return dnnl::memory::desc(weightDims, dt::f32, strides);
}

// Reads w in order: ONNX, each (c, mg) row of taps, of which the phase's are picked; TF, each of
// the phase's taps' Mg × C matrices, copied whole. (Gathered in the convolution's plain O, I, K'
// order, the ONNX case read the whole filter once per output channel: 18 ms a call for
// dcgan-g2's 8 MB, where the phase convolutions themselves take 27 ms at batch 64.)
void PhaseConvolutions::gather(const Phase& phase, const float* w, float* out) const {
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t C = p.inChannels, Mg = p.outChannels / p.groups;
  const int64_t taps = a.k[0] * a.k[1] * a.k[2];
  const std::vector<int64_t>& picked = phase.filterTaps;
  const auto count = static_cast<int64_t>(picked.size());
  const int64_t rows = C * Mg;
  // On every thread: plain calls gather on every call, and the others would wait.
  if (p.filterLayout == FilterLayout::SpatialOutIn) {
    constexpr int64_t kPiece = 1 << 16;  // floats per copy
    const int64_t pieces = (rows + kPiece - 1) / kPiece;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t t = 0; t < count; ++t)
      for (int64_t piece = 0; piece < pieces; ++piece) {
        const float* from = w + picked[static_cast<std::size_t>(t)] * rows + piece * kPiece;
        std::copy(from, from + std::min(kPiece, rows - piece * kPiece), out + t * rows + piece * kPiece);
      }
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t t = 0; t < count; ++t) out[row * count + t] = w[row * taps + picked[static_cast<std::size_t>(t)]];
}

void PhaseConvolutions::pack(const float* w, float* out) const {
  applyThreadCount();
  dnnl::stream& stream = threadStream();
  auto* gathered = static_cast<float*>(threadScratch(4, gatheredBytes_));
  for (const Phase& phase : phases_) {
    if (phase.empty) continue;
    gather(phase, w, gathered);
    dnnl::memory from(phase.gathered, cpuEngine(), gathered), to(phase.weights, cpuEngine(), out + phase.packedAt);
    phase.weightsReorder.execute(stream, from, to);
    stream.wait();
  }
}

void PhaseConvolutions::executePacked(const float* x, const float* packed, const float* bias, float* y) const {
  run(x, packed, bias, y);
}

void PhaseConvolutions::run(const float* x, const float* packed, const float* bias, float* y) const {
  applyThreadCount();
  if (acrossImages_) return runAcrossImages(x, packed, bias, y);
  auto* outputs = static_cast<float*>(threadScratch(2, outputElements_ * sizeof(float)));
  void* reorderedX = problem_.layout == Layout::ChannelsFirst ? threadScratch(3, src_.get_size()) : nullptr;
  compute(x, packed, bias, y, threadStream(), outputs, threadScratch(0, scratchpadBytes_), reorderedX);
}

// A thread per image at a time: inside this parallel loop, oneDNN's convolutions and the copy's
// own parallel loop run on the calling thread alone (OpenMP does not nest by default). Each team
// thread gets a stream and memory that the calling thread owns (see teamStreams).
void PhaseConvolutions::runAcrossImages(const float* x, const float* packed, const float* bias, float* y) const {
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(images_)));
  dnnl::stream* streams = teamStreams(threads);
  auto roundUp = [](std::size_t bytes) { return (bytes + 63) / 64 * 64; };
  const std::size_t outputBytes = roundUp(outputElements_ * sizeof(float)), scratchBytes = roundUp(scratchpadBytes_);
  const std::size_t xBytes = problem_.layout == Layout::ChannelsFirst ? roundUp(src_.get_size()) : 0;
  const std::size_t perThread = outputBytes + scratchBytes + xBytes;
  auto* memory = static_cast<unsigned char*>(threadScratch(2, threads * perThread));
  const Axes3 a(problem_);
  const int64_t xImage = problem_.inChannels * a.in[0] * a.in[1] * a.in[2];
  const int64_t yImage = problem_.outChannels * a.out[0] * a.out[1] * a.out[2];
  std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    unsigned char* mine = memory + t * perThread;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < images_; ++n) {
      try {
        compute(x + n * xImage, packed, bias, y + n * yImage, streams[t], reinterpret_cast<float*>(mine), mine + outputBytes,
                xBytes > 0 ? mine + outputBytes + scratchBytes : nullptr);
      } catch (...) {
        // An exception must not leave an OpenMP region: the first one is rethrown after it.
#pragma omp critical(deconv_phases_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

void PhaseConvolutions::compute(const float* x, const float* packed, const float* bias, float* y, dnnl::stream& stream, float* outputs,
                                void* scratchpad, void* reorderedX) const {
  const dnnl::engine& engine = cpuEngine();
  dnnl::memory src(src_, engine, const_cast<float*>(x));
  if (problem_.layout == Layout::ChannelsFirst) {
    xToChannelsLast_.execute(stream, x, static_cast<float*>(reorderedX));
    src.set_data_handle(reorderedX);
  }
  for (const Phase& phase : phases_) {
    if (phase.empty) continue;
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_WEIGHTS, dnnl::memory(phase.weights, engine, const_cast<float*>(packed) + phase.packedAt)},
        {DNNL_ARG_DST, dnnl::memory(phase.dst, engine, outputs + phase.outputAt)},
        {DNNL_ARG_SCRATCHPAD, dnnl::memory(phase.scratchpad, engine, scratchpad)}};
    if (problem_.hasBias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(bias_, engine, const_cast<float*>(bias)));
    phase.primitive.execute(stream, args);
  }
  stream.wait();
  interleave(outputs, bias, y);
}

// Work items are rows of y (image, output row along D and H), each filled from the phases it
// interleaves along W, so that a thread writes whole rows (channels first, one per channel) in
// order and no two threads share a cache line of y but at the rows' ends. Channels last, an output
// pixel's M values are a run of the phase output; channels first, the copy is a transpose, each
// channel's row gathered from the phase outputs M apart (style-up-64: 2.8 ms, as fast as oneDNN's
// own reorder into strided views of y; blocks of 8 channels through a buffer took 7).
void PhaseConvolutions::interleave(const float* outputs, const float* bias, float* y) const {
  const Problem& p = problem_;
  const Axes3 a(p);
  const int64_t M = p.outChannels, OW = a.out[2], sw = a.s[2];
  const int64_t rows = p.batch * a.out[0] * a.out[1];
  const bool channelsFirst = p.layout == Layout::ChannelsFirst;
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t oh = row % a.out[1], od = (row / a.out[1]) % a.out[0], n = row / (a.out[0] * a.out[1]);
    const int64_t jd = od / a.s[0], jh = oh / a.s[1];
    const int64_t firstPhase = ((od % a.s[0]) * a.s[1] + oh % a.s[1]) * sw;
    // Per W phase pw (outputs ow = pw + sw·jw): its values at (n, jd, jh, jw = 0), M per jw; null
    // where no tap reaches the phase (activation(bias) there).
    const float* from[kMaxPhases];
    for (int64_t pw = 0; pw < sw && pw < OW; ++pw) {
      const Phase& phase = phases_[static_cast<std::size_t>(phaseAt_[static_cast<std::size_t>(firstPhase + pw)])];
      const int64_t* stored = phase.stored.data();
      const int64_t* skip = phase.skip.data();
      from[pw] = phase.empty ? nullptr
                             : outputs + phase.outputAt + (((n * stored[0] + jd + skip[0]) * stored[1] + jh + skip[1]) * stored[2] + skip[2]) * M;
    }
    if (channelsFirst) {
      const int64_t plane = a.out[0] * a.out[1] * OW;
      float* to = y + n * M * plane + (od * a.out[1] + oh) * OW;
      for (int64_t m = 0; m < M; ++m, to += plane) {
        const float empty = activate(p, bias ? bias[m] : 0.f);
        for (int64_t pw = 0; pw < sw && pw < OW; ++pw) {
          const float* source = from[pw];
          if (source == nullptr) {
            for (int64_t ow = pw; ow < OW; ow += sw) to[ow] = empty;
          } else {
            for (int64_t ow = pw, at = m; ow < OW; ow += sw, at += M) to[ow] = source[at];
          }
        }
      }
      continue;
    }
    float* to = y + ((n * a.out[0] + od) * a.out[1] + oh) * OW * M;
    for (int64_t ow = 0, jw = 0; ow < OW; ++jw) {
      for (int64_t pw = 0; pw < sw && ow < OW; ++pw, ++ow, to += M) {
        const float* source = from[pw] == nullptr ? nullptr : from[pw] + jw * M;
        if (source == nullptr) {
          for (int64_t m = 0; m < M; ++m) to[m] = activate(p, bias ? bias[m] : 0.f);
        } else if (M >= 16) {
          std::copy(source, source + M, to);
        } else {  // a few channels: a library call per pixel would cost more than the copy
          for (int64_t m = 0; m < M; ++m) to[m] = source[m];
        }
      }
    }
  }
}

}  // namespace deconv::onednn
