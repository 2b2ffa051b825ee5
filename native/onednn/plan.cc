#include "plan.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "../core/activation.h"
#include "../core/direct_deconvolution.h"
#include "../core/error.h"
#include "../core/no_destructor.h"
#include "context.h"
#include "descriptors.h"
#include "gemm_col2im.h"
#include "plan_cache.h"
#include "post_ops.h"
#include "phase_convolutions.h"
#include "phase_kernel.h"
#include "phase_rows.h"
#include "tiled_matmul.h"

namespace deconv::onednn {

namespace {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

std::string describeDnnlError(const dnnl::error& e) {
  return std::string("oneDNN could not build a deconvolution for this problem: ") + e.what() +
         " (status " + std::to_string(static_cast<int>(e.status)) + ")";
}

// Values in [-0.5, 0.5) from a fixed sequence (a 32-bit LCG), for timing runs.
template <typename Vector>
void fillWithNoise(Vector& values) {
  uint32_t state = 0x9e3779b9u;
  for (float& v : values) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) * (1.0f / 16777216.0f) - 0.5f;
  }
}

// oneDNN's JIT kernels unroll over the filter: building one for a very long filter (a 1024-tap 1-D
// iSTFT filter, channels last) takes minutes. Such problems start from, and only weigh, the
// channels-first build (a reference kernel, built at once) against the GEMM.
bool hasLongFilter(const Problem& p) {
  for (int i = 0; i < p.rank; ++i)
    if (p.kernel[i] > 64) return true;
  return false;
}

// Problems that start from, and weigh only, the channels-first build.
bool onlyChannelsFirstBuilds(const Problem& p) { return hasLongFilter(p) || hasSlowChannelsLastBuild(p); }

}  // namespace

// DECONV_ONEDNN_VARIANT=caller|other|preferred|gemm|gemm-input-first|gemm-images|gemm-input-first-images|tiled-matmul|phases|phases-images|phase-kernel|phase-rows|direct forces one way of computing (where it
// applies) instead of timing: for tests that must cover every way, and for benchmarking one.
constexpr int kForcedDirect = 100;  // not a Layouts: directDeconvolution, for any problem size
static int forcedVariant() {
  const char* value = std::getenv("DECONV_ONEDNN_VARIANT");
  if (value == nullptr) return -1;
  const std::string name(value);
  if (name == "caller") return 0;
  if (name == "other") return 1;
  if (name == "preferred") return 2;
  if (name == "gemm") return 3;
  if (name == "gemm-input-first") return 4;
  if (name == "gemm-images") return 5;
  if (name == "gemm-input-first-images") return 6;
  if (name == "tiled-matmul") return 7;
  if (name == "phases") return 8;
  if (name == "phases-images") return 9;
  if (name == "phase-kernel") return 10;
  if (name == "phase-rows") return 11;
  if (name == "direct") return kForcedDirect;
  return -1;
}

DeconvPlan::DeconvPlan(const Problem& problem, MathMode math) : problem_(problem) {
  // The primitives are made for the thread count the plan runs (planKey has it).
  applyThreadCount();
  // Tiny problems run as plain loops (direct_deconvolution.h): no primitive at all.
  const int forced = forcedVariant();
  if (forced == kForcedDirect || (forced < 0 && isTinyProblem(problem))) {
    direct_ = true;
    return;
  }
  const Problem& p = problem_;
  Problem computed = p;
  for (int i = 0; i < p.rank; ++i) {
    if (p.padsBegin[i] < 0) {
      leading_[i] = -p.padsBegin[i];
      computed.padsBegin[i] = 0;
      computed.outSpatial[i] -= leading_[i];
      hasBands_ = true;
    }
  }
  setCallerLayouts(computed);
  bool built = false;
  if (onlyChannelsFirstBuilds(p) && p.layout == Layout::ChannelsLast) {
    try {
      built_ = build(computed, math, Layouts::OtherPlain);
      built = true;
    } catch (const dnnl::error&) {
      // not buildable in the other layout: the caller's, as for every other problem
    }
  }
  if (!built) try {
    built_ = build(computed, math, Layouts::Caller);
  } catch (const dnnl::error& first) {
    // Some kernels take a negative right padding (output past the full output, as
    // output_padding makes); where none does, compute without it and fill the band here.
    bool trimmed = false;
    for (int i = 0; i < p.rank; ++i) {
      if (computed.padsEnd[i] < 0) {
        trailing_[i] = -computed.padsEnd[i];
        computed.outSpatial[i] -= trailing_[i];
        computed.padsEnd[i] = 0;
        trimmed = true;
      }
    }
    if (!trimmed) throw Error(ErrorKind::Error, describeDnnlError(first));
    hasBands_ = true;
    setCallerLayouts(computed);
    try {
      built_ = build(computed, math, Layouts::Caller);
    } catch (const dnnl::error& second) {
      throw Error(ErrorKind::Error, describeDnnlError(second));
    }
  }
  chooseLayouts(computed, math);
}

// Plain caller layouts or the layouts oneDNN prefers (plus reorders)? For problems worth it, the
// two builds are timed once on zero-filled buffers and the faster kept; for small ones the plain
// build stays unless it fell back to a reference kernel.
namespace {

// Layout choices already timed, by problem class: the problem without its batch and spatial
// sizes, plus the order of magnitude (a power of 4) of its batch. A workload whose lengths change
// on every call (a vocoder's 1-D frames, T = 224..5000) then times its layouts once, not once per
// length (re-timing at T = 5000 cost 0.6 s), while batch 1 and batch 64 of one layer, whose best
// ways differ (dcgan-g5: a channels-last kernel at batch 1, 2.5× slower than GEMM at batch 64),
// are timed apart.
class LayoutChoices {
 public:
  static std::string classKey(const Problem& p, MathMode math) {
    int magnitude = 0;
    for (int64_t batch = p.batch; batch >= 4; batch /= 4) ++magnitude;
    Problem shapeless = p;
    shapeless.batch = 1;
    shapeless.inSpatial = shapeless.outSpatial = shapeless.padsBegin = shapeless.padsEnd = SpatialDims{0, 0, 0};
    return planKey(shapeless, math) + "|batch~4^" + std::to_string(magnitude);
  }
  // The choice made for this class, or -1 when not timed yet.
  int find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = choices_.find(key);
    return it == choices_.end() ? -1 : it->second;
  }
  void remember(const std::string& key, int choice) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (choices_.size() > 4096) choices_.clear();  // bounded; re-timing is only a cost
    choices_[key] = choice;
  }
  static LayoutChoices& shared() {
    static NoDestructor<LayoutChoices> choices;
    return choices.get();
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int> choices_;
};

}  // namespace

DeconvPlan::~DeconvPlan() = default;

// The DECONV_ONEDNN_VARIANT spelling of a way (a template only so that it can take DeconvPlan's
// private enum).
template <typename Layouts>
const char* layoutsName(Layouts choice) {
  switch (choice) {
    case Layouts::Caller: return "caller";
    case Layouts::OtherPlain: return "other";
    case Layouts::Preferred: return "preferred";
    case Layouts::Gemm: return "gemm";
    case Layouts::GemmInputFirst: return "gemm-input-first";
    case Layouts::GemmImages: return "gemm-images";
    case Layouts::GemmInputFirstImages: return "gemm-input-first-images";
    case Layouts::TiledMatmul: return "tiled-matmul";
    case Layouts::Phases: return "phases";
    case Layouts::PhasesImages: return "phases-images";
    case Layouts::PhaseKernel: return "phase-kernel";
    case Layouts::PhaseRows: return "phase-rows";
  }
  return "?";
}

// The GemmCol2im a choice stands for (product order, threads), or none for the deconvolution
// primitive (a template only so that it can take DeconvPlan's private enum).
struct GemmWay {
  GemmCol2im::Order order;
  GemmCol2im::Threads threads;
};
template <typename Layouts>
std::optional<GemmWay> gemmWay(Layouts choice) {
  using Order = GemmCol2im::Order;
  using Threads = GemmCol2im::Threads;
  switch (choice) {
    case Layouts::Gemm: return GemmWay{Order::WeightsFirst, Threads::WithinProduct};
    case Layouts::GemmInputFirst: return GemmWay{Order::InputFirst, Threads::WithinProduct};
    case Layouts::GemmImages: return GemmWay{Order::WeightsFirst, Threads::AcrossImages};
    case Layouts::GemmInputFirstImages: return GemmWay{Order::InputFirst, Threads::AcrossImages};
    default: return std::nullopt;
  }
}

void DeconvPlan::chooseLayouts(const Problem& computed, MathMode math) {
  if (const int forced = forcedVariant(); forced >= 0) {
    const auto choice = static_cast<Layouts>(forced);
    const auto way = gemmWay(choice);
    const bool unsupported = (way && !GemmCol2im::supports(problem_, way->order)) ||
                             (choice == Layouts::TiledMatmul && !TiledMatmul::supports(problem_)) ||
                             ((choice == Layouts::Phases || choice == Layouts::PhasesImages) && !PhaseConvolutions::supports(problem_)) ||
                             (choice == Layouts::PhaseKernel && !PhaseKernel::supports(problem_)) ||
                             (choice == Layouts::PhaseRows && !PhaseRows::supports(problem_));
    chosen_ = unsupported ? Layouts::Caller : choice;
    adopt(computed, math, chosen_);
    return;
  }
  const std::string key = LayoutChoices::classKey(problem_, math);
  int known = LayoutChoices::shared().find(key);
  if (known < 0) {
    // Timed on a stand-in with fewer images where the problem is huge (a plan of its own, which
    // remembers its choice for its own class), then adopted below; timed itself otherwise, or
    // where the stand-in cannot be made.
    std::optional<Layouts> standInChoice;
    if (const int64_t batch = standInBatch(problem_); batch < problem_.batch) {
      Problem standIn = problem_;
      standIn.batch = batch;
      try {
        standInChoice = DeconvPlan(standIn, math).chosen_;
      } catch (const Error&) {
      } catch (const dnnl::error&) {
      }
    }
    if (!standInChoice) {
      chosen_ = timedChoice(computed, math);
      LayoutChoices::shared().remember(key, static_cast<int>(chosen_));
      return;
    }
    known = static_cast<int>(*standInChoice);
    LayoutChoices::shared().remember(key, known);
  }
  chosen_ = static_cast<Layouts>(known);
  if (chosen_ != built_.layouts) adopt(computed, math, chosen_);
}

// The batch to time a problem's ways on: its own, or fewer images (x and y within 64 MiB) where
// x and y together take more than 128 MiB (depthwise-k2 at batch 16 moves 1 GiB per call: timing
// its five ways, whose warm-ups alone fault in and reorder that much memory, took 9 s, ~1 s at
// batch 2; unet-4 at batch 8, 192 MiB, took 5–8 s). At least one image per thread, since some
// ways share images out among the threads. The ways' speeds per image hardly change with the
// batch at these sizes.
int64_t DeconvPlan::standInBatch(const Problem& p) {
  constexpr double kTimedBytes = 64.0 * (1 << 20), kLargeBytes = 128.0 * (1 << 20);
  const double bytes = static_cast<double>(p.inputElements() + p.outputElements()) * sizeof(float);
  if (bytes <= kLargeBytes) return p.batch;
  const double perImage = bytes / static_cast<double>(p.batch);
  const auto fitting = static_cast<int64_t>(std::max(1.0, std::floor(kTimedBytes / perImage)));
  return std::min(p.batch, std::max<int64_t>(fitting, numThreads()));
}

// Makes `choice` the plan's way of computing (the caller's layouts if it cannot be built).
void DeconvPlan::adopt(const Problem& computed, MathMode math, Layouts choice) {
  own_.reset();
  binding_.reset();
  try {
    own_ = makeOwnWay(choice, math);
    if (own_) return;
  } catch (const Error&) {
    choice = Layouts::Caller;
  }
  try {
    built_ = build(computed, math, choice);
  } catch (const dnnl::error&) {
    built_ = build(computed, math, Layouts::Caller);
  }
}

// The way of deconv's own that `choice` stands for, made for the problem; null for the deconvolution
// primitive's layouts. Throws deconv::Error where the way cannot be made.
std::unique_ptr<OwnWay> DeconvPlan::makeOwnWay(Layouts choice, MathMode math) const {
  if (const auto way = gemmWay(choice)) return std::make_unique<GemmCol2im>(problem_, math, way->order, way->threads);
  switch (choice) {
    case Layouts::TiledMatmul: return std::make_unique<TiledMatmul>(problem_, math);
    case Layouts::Phases: return std::make_unique<PhaseConvolutions>(problem_, math, PhaseConvolutions::Threads::WithinEach);
    case Layouts::PhasesImages: return std::make_unique<PhaseConvolutions>(problem_, math, PhaseConvolutions::Threads::AcrossImages);
    case Layouts::PhaseKernel: return std::make_unique<PhaseKernel>(problem_, math);
    case Layouts::PhaseRows: return std::make_unique<PhaseRows>(problem_, math);
    default: return nullptr;
  }
}

struct DeconvPlan::Candidate {
  explicit Candidate(Layouts way) : layouts(way) {}
  Layouts layouts;
  std::optional<PrimitiveBuild> primitive;  // or
  std::unique_ptr<OwnWay> own;
  std::size_t weightsElements = 0;  // in the layout this way reads
  double warmUpMs = 0;  // round 0's untimed run
  double bestMs = std::numeric_limits<double>::infinity();
  std::vector<double> timedMs;  // every timed run
  bool dropped = false;
  // What the final pick compares: the median of the timed runs. Not the best run alone, which
  // favours a way that is sometimes fast and usually slower: dcgan-g2 at batch 64 channels first,
  // the phase convolutions (four oneDNN convolutions, a barrier after each, so one thread slowed by
  // this VM's noisy neighbour holds both up) at best 20.3 ms and median 28.4 beat the phase kernel
  // (one loop the threads share out as they go) at best 22.8 and median 24.9, and then ran at
  // medians of 32 and 44 ms in two benchmarks, against 26 for the phase kernel channels last.
  // The turns interleave over 0.4 s or more, so a slow spell falls on every way's runs alike.
  double typicalMs() const {
    if (timedMs.empty()) return bestMs;
    std::vector<double> sorted = timedMs;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
};

// For problems worth it, every way that applies is built and timed on buffers of noise, and the
// fastest kept; small problems keep the constructor's build unless it fell back to a reference
// kernel. The ways take turns run by run, so that a slow spell of a shared machine (they last
// seconds here) slows them all alike instead of deciding the choice: timed one after the other,
// near-equal ways swapped places from process to process, one of them 2× slower in the end.
DeconvPlan::Layouts DeconvPlan::timedChoice(const Problem& computed, MathMode math) {
  const auto choiceStart = std::chrono::steady_clock::now();
  const auto msSince = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  const bool callerIsFallback = std::string(implementation()).find("ref") != std::string::npos;
  double flops = 2.0 * problem_.batch * problem_.inChannels * (problem_.outChannels / problem_.groups);
  for (int i = 0; i < problem_.rank; ++i) flops *= problem_.inSpatial[i] * problem_.kernel[i];
  constexpr double kWorthTiming = 4e6;  // ~0.05 ms and up: a few timed runs cost less than they save
  if (!callerIsFallback && flops < kWorthTiming) return built_.layouts;  // the constructor's build
  const bool longFilter = hasLongFilter(problem_);

  std::vector<Candidate> candidates;
  auto addPrimitive = [&](PrimitiveBuild b) {
    Candidate c(b.layouts);
    c.weightsElements = b.desc.weights_desc().get_size() / sizeof(float);
    c.primitive = std::move(b);
    candidates.push_back(std::move(c));
  };
  // The constructor's build (unless it is a reference kernel: any other way beats that).
  if (!callerIsFallback || longFilter) addPrimitive(built_);
  // Other layouts, but not where their builds are slow (see onlyChannelsFirstBuilds).
  const bool channelsFirstOnly = onlyChannelsFirstBuilds(problem_);
  for (Layouts layouts : {Layouts::OtherPlain, Layouts::Preferred}) {
    if (channelsFirstOnly || layouts == built_.layouts) continue;
    try {
      PrimitiveBuild b = build(computed, math, layouts);
      if (layouts == Layouts::Preferred && !b.reorderSrc && !b.reorderDst) continue;  // the caller's layouts again
      addPrimitive(std::move(b));
    } catch (const dnnl::error&) {
      // not buildable in these layouts
    }
  }
  // deconv's own ways, where they apply (a way whose constructor refuses the problem is left out).
  auto addOwn = [&](Layouts layouts) {
    try {
      Candidate c(layouts);
      c.own = makeOwnWay(layouts, math);
      c.weightsElements = c.own->packedElements();
      candidates.push_back(std::move(c));
    } catch (const Error&) {
      // not buildable here
    }
  };
  // Threads across images only where every thread gets one.
  const bool imagesToShare = numThreads() > 1 && problem_.batch >= numThreads();
  for (Layouts layouts : {Layouts::Gemm, Layouts::GemmInputFirst, Layouts::GemmImages, Layouts::GemmInputFirstImages}) {
    const auto way = gemmWay(layouts);
    if (!GemmCol2im::supports(problem_, way->order)) continue;
    if (way->threads == GemmCol2im::Threads::AcrossImages && !imagesToShare) continue;
    addOwn(layouts);
  }
  if (TiledMatmul::supports(problem_)) addOwn(Layouts::TiledMatmul);
  if (PhaseConvolutions::supports(problem_) && !longFilter) {
    addOwn(Layouts::Phases);
    if (imagesToShare) addOwn(Layouts::PhasesImages);
  }
  if (PhaseKernel::supports(problem_) && !longFilter && math == MathMode::Float32) addOwn(Layouts::PhaseKernel);
  if (PhaseRows::worthTiming(problem_) && math == MathMode::Float32) addOwn(Layouts::PhaseRows);
  if (candidates.empty()) return built_.layouts;
  const double buildMs = msSince(choiceStart);

  // Noise, not zeros: some ways ran 20% faster on zeros than on real data (radford-1 channels
  // last: the GEMM timed at 52 ms on zeros, ran at 58-72 ms on a layer's values, where the
  // primitive it beat ran at 49-57), which made the choice the slower way.
  std::vector<float> x(static_cast<std::size_t>(problem_.inputElements()));
  std::vector<float> bias(static_cast<std::size_t>(problem_.outChannels));
  std::vector<float> y(static_cast<std::size_t>(problem_.outputElements()));
  fillWithNoise(x);
  fillWithNoise(bias);
  // One weights buffer for all (noise reads the same in any layout), in memory of the kind a plan
  // packs its weights into (huge pages: the primitive ran 1.5× faster on them than on 4 KiB
  // pages, the GEMM no faster).
  std::size_t weightsElements = 0;
  for (const Candidate& c : candidates) weightsElements = std::max(weightsElements, c.weightsElements);
  AlignedVector<float> w(weightsElements);
  fillWithNoise(w);
  const double buffersMs = msSince(choiceStart) - buildMs;
  applyThreadCount();
  auto timeOnce = [&](Candidate& c) {
    const auto start = std::chrono::steady_clock::now();
    // The packed weights' product, as plans run it: the caller's layout may be a transposed
    // matrix that the product reads more slowly, and timing that made the iSTFT layer keep a 2×
    // slower kernel half of the time.
    if (c.own) {
      c.own->executePacked(x.data(), w.data(), bias.data(), y.data());
    } else {
      Binding binding = makeBinding(*c.primitive);
      run(*c.primitive, binding, x.data(), w.data(), bias.data(), y.data());
    }
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  auto fastest = [&] {
    double best = std::numeric_limits<double>::infinity();
    for (const Candidate& c : candidates)
      if (!c.dropped) best = std::min(best, c.bestMs);
    return best;
  };
  // Drops the ways that take over `factor` times the fastest way left, by their best runs or, for
  // the near-tie test, by their median runs (where one lucky run of another way must not put a
  // steadier one out: dcgan-g2 at batch 64, the phase kernel, best 25.1 ms and median 26.7, went
  // out against a best of 21.7 whose median was 27.6).
  enum class By { Best, Median };
  auto dropSlowerThan = [&](double factor, By by = By::Best) {
    const auto ms = [by](const Candidate& c) { return by == By::Best ? c.bestMs : c.typicalMs(); };
    double best = std::numeric_limits<double>::infinity();
    for (const Candidate& c : candidates)
      if (!c.dropped) best = std::min(best, ms(c));
    for (Candidate& c : candidates) c.dropped = c.dropped || ms(c) > factor * best;
  };
  // A way's turn is two runs back to back, the second timed: as a plan runs, on caches that hold
  // what the way itself left there, not what the way before it did (radford-1 channels last, whose
  // ways each stream 52 MB of weights: timed on each other's leftovers, the GEMM looked 25% faster
  // than the primitive, and ran 20% slower).
  auto turn = [&](Candidate& c) {
    const double untimed = timeOnce(c);
    const double ms = timeOnce(c);
    c.bestMs = std::min(c.bestMs, ms);
    c.timedMs.push_back(ms);
    return untimed + ms;
  };
  // Every way that is not dropped at once takes turns in rounds whose order alternates (forward,
  // backward), and is dropped on its best of at least two timed runs from two rounds: a slow spell
  // of the machine (they last a second or more here) that falls on the end of one round falls on
  // the start of the next, and no way is dropped on one run (dcgan-g4 at batch 64 channels last
  // kept a GEMM in one benchmark, 1.4× slower than the phase kernel it picks when made alone; the
  // phase ways come last in the list, where one slow spell could drop them all in round 0). The
  // ways left at the end are compared by their median runs (Candidate::typicalMs).
  auto inRoundOrder = [&](int round, auto&& each) {
    if (round % 2 == 0) {
      for (Candidate& c : candidates) each(c);
    } else {
      for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) each(*it);
    }
  };
  // Round 0: a warm-up run (first touches, JIT caches) and a timed one. A way whose warm-up alone
  // took over 100 ms and 10× the fastest timed run so far is dropped at once (some kernels take
  // seconds on a shape they are not made for, e.g. a 1024-tap 1-D filter); not a quicker one, nor
  // for less, since a warm-up also pays for first touches of scratch memory the way is the first
  // to need (the GEMM's 5 MB of cols made its warm-up 39 ms against 4 ms), and a slow spell can
  // fall on a short one (in one benchmark fsrcnn-x4 kept a primitive 1.6× slower than its GEMM,
  // which it picks when made alone).
  constexpr double kSlowWarmUpMs = 100;
  for (Candidate& c : candidates) {
    const double warmMs = c.warmUpMs = timeOnce(c);
    if (warmMs > kSlowWarmUpMs && warmMs > 10 * fastest()) {
      c.dropped = true;
      continue;
    }
    c.bestMs = timeOnce(c);
    c.timedMs.push_back(c.bestMs);
  }
  // Where runs take 30 ms or more, ways 3× slower than the fastest after round 0 are out: no way
  // that far behind won in a later round (65 plans of the suite, each way timed 4 to 10 times),
  // and large layers time 10 ways of 50–100 ms each. Not for shorter runs, where one stall of the
  // machine (10–20 ms) makes a single run 3× slow and the later rounds cost little.
  if (fastest() >= 30.0) dropSlowerThan(3.0);
  // Then rounds of turns: after round 1 (two timed runs each) the clear losers (2×) go, after
  // each later one any way 1.5× slower than the fastest. Three timed runs each in all (two where a
  // run takes 30 ms or more: plans of large layers are made in seconds already), more for small
  // problems (up to ~20 ms per way), since on a shared machine a single run can be off by a factor
  // of two.
  const int rounds = fastest() < 30.0 ? 3 : 2;
  double spent = 0;
  int round = 1;
  for (; round < 10 && (round < rounds || spent < 20.0 * candidates.size()); ++round) {
    inRoundOrder(round, [&](Candidate& c) {
      if (!c.dropped) spent += turn(c);
    });
    dropSlowerThan(round == 1 ? 2.0 : 1.5);
  }
  // Near ties (within 15%) get two more turns each, and more until their turns have spread over
  // kRunoffMs: a slow spell during one way's timed runs otherwise decides between ways that differ
  // by less than this VM's spells do (radford-1 channels last kept a GEMM at 70 ms in one
  // benchmark, where the phase convolutions it had timed beside it run in 43), and the spells last
  // 0.1–0.3 s, as long as all the turns of a small layer (unet-3 channels first, 8 ms a run, kept
  // oneDNN's primitive 1 time in 8, 25% slower than its PhaseRows).
  constexpr double kRunoffMs = 400;
  constexpr int kMostRunoffRounds = 12;
  const auto countClose = [&] {
    dropSlowerThan(1.15, By::Median);
    int close = 0;
    for (const Candidate& c : candidates) close += c.dropped ? 0 : 1;
    return close;
  };
  const auto runoffStart = std::chrono::steady_clock::now();
  for (int extra = 0; extra < kMostRunoffRounds && countClose() > 1 && (extra < 2 || msSince(runoffStart) < kRunoffMs); ++extra, ++round) {
    inRoundOrder(round, [&](Candidate& c) {
      if (!c.dropped) turn(c);
    });
  }
  Candidate* winner = nullptr;
  for (Candidate& c : candidates)
    if (!c.dropped && (winner == nullptr || c.typicalMs() < winner->typicalMs())) winner = &c;
  if (std::getenv("DECONV_ONEDNN_VERBOSE") != nullptr) {
    // DECONV_ONEDNN_VERBOSE=1: what each way took (for benchmarking the choice itself).
    const Problem& p = problem_;
    std::string line = "deconv onednn plan N" + std::to_string(p.batch) + " C" + std::to_string(p.inChannels) + " M" +
                       std::to_string(p.outChannels) + (p.layout == Layout::ChannelsLast ? " channels-last" : " channels-first") + ":";
    for (const Candidate& c : candidates) {
      line += " " + std::string(layoutsName(c.layouts)) + "=" + std::to_string(c.bestMs) + "/" + std::to_string(c.typicalMs()) +
              "(" + std::to_string(c.timedMs.size()) + ")" + (c.dropped ? "(out)" : "") +
              (&c == winner ? "*" : "") + "[warm-up " + std::to_string(static_cast<int>(c.warmUpMs)) + "]";
    }
    line += "; ms: building " + std::to_string(static_cast<int>(buildMs)) + ", buffers " + std::to_string(static_cast<int>(buffersMs)) +
            ", all " + std::to_string(static_cast<int>(msSince(choiceStart)));
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  binding_.reset();
  own_ = std::move(winner->own);
  if (winner->primitive) built_ = std::move(*winner->primitive);
  return winner->layouts;
}

void DeconvPlan::setCallerLayouts(const Problem& computed) {
  const Problem& p = problem_;
  const int r = p.rank;
  srcDesc_ = {concat({p.batch, p.inChannels}, spatial(p.inSpatial, r)), dt::f32, activationTag(r, p.layout)};
  dstDesc_ = {concat({p.batch, p.outChannels}, spatial(computed.outSpatial, r)), dt::f32, activationTag(r, p.layout)};
  userWeightsDesc_ = userWeights(p);
  if (p.hasBias) biasDesc_ = {{p.outChannels}, dt::f32, tag::a};
}

DeconvPlan::PrimitiveBuild DeconvPlan::build(const Problem& computed, MathMode math, Layouts layouts) const {
  const Problem& p = problem_;
  const int r = p.rank;
  dnnl::memory::desc anyWeights(userWeightsDesc_.get_dims(), dt::f32, tag::any);

  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(activationPostOps(p));
  if (math == MathMode::Bf16) attr.set_fpmath_mode(dnnl::fpmath_mode::bf16);

  dnnl::memory::desc wantSrc = srcDesc_, wantDst = dstDesc_;
  if (layouts != Layouts::Caller) {
    const Layout other = p.layout == Layout::ChannelsLast ? Layout::ChannelsFirst : Layout::ChannelsLast;
    const tag t = layouts == Layouts::OtherPlain ? activationTag(r, other) : tag::any;
    wantSrc = dnnl::memory::desc(srcDesc_.get_dims(), dt::f32, t);
    wantDst = dnnl::memory::desc(dstDesc_.get_dims(), dt::f32, t);
  }
  PrimitiveBuild b;
  b.layouts = layouts;
  b.desc = dnnl::deconvolution_forward::primitive_desc(
      cpuEngine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
      wantSrc, anyWeights, biasDesc_, wantDst, spatial(p.strides, r),
      spatial(p.dilations, r, -1), spatial(computed.padsBegin, r), spatial(computed.padsEnd, r), attr);
  b.primitive = dnnl::deconvolution_forward(b.desc);
  b.src = b.desc.src_desc();
  b.dst = b.desc.dst_desc();
  b.reorderSrc = b.src != srcDesc_;
  b.reorderDst = b.dst != dstDesc_;
  if (b.reorderSrc) b.srcReorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), srcDesc_, cpuEngine(), b.src));
  if (b.reorderDst) b.dstReorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), b.dst, cpuEngine(), dstDesc_));
  b.reorderWeights = b.desc.weights_desc() != userWeightsDesc_;
  if (b.reorderWeights) {
    b.weightsReorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), userWeightsDesc_, cpuEngine(), b.desc.weights_desc()));
  }
  return b;
}

std::size_t DeconvPlan::packedBytes() const {
  if (direct_) return (problem_.filterElements() + problem_.biasElements()) * sizeof(float);
  if (own_) return (own_->packedElements() + problem_.biasElements()) * sizeof(float);
  return built_.desc.weights_desc().get_size() + (problem_.hasBias ? problem_.outChannels * sizeof(float) : 0);
}

const char* DeconvPlan::implementation() const {
  if (direct_) return "deconv:direct (plain loops for a tiny problem)";
  return own_ ? own_->implementation() : built_.desc.impl_info_str();
}

void DeconvPlan::execute(const float* x, const float* w, const float* bias, float* y) const {
  if (direct_) return directDeconvolution(problem_, x, w, bias, y);
  if (own_) return own_->execute(x, w, bias, y);
  applyThreadCount();
  const float* weights = w;
  if (built_.reorderWeights) {
    dnnl::stream& stream = threadStream();
    dnnl::memory user(userWeightsDesc_, cpuEngine(), const_cast<float*>(w));
    dnnl::memory reordered(built_.desc.weights_desc(), cpuEngine(),
                           threadScratch(1, built_.desc.weights_desc().get_size()));
    built_.weightsReorder.execute(stream, user, reordered);
    weights = static_cast<const float*>(reordered.get_data_handle());
  }
  run(x, weights, bias, y);
}

std::shared_ptr<const PackedWeights> DeconvPlan::pack(const float* w, const float* bias) const {
  auto packed = std::make_shared<PackedWeights>();
  if (direct_) {
    packed->weights.assign(w, w + problem_.filterElements());
  } else if (own_) {
    packed->weights.resize(own_->packedElements());
    own_->pack(w, packed->weights.data());
  } else if (built_.reorderWeights) {
    packed->weights.resize(built_.desc.weights_desc().get_size() / sizeof(float));
    applyThreadCount();
    dnnl::stream& stream = threadStream();
    dnnl::memory user(userWeightsDesc_, cpuEngine(), const_cast<float*>(w));
    dnnl::memory reordered(built_.desc.weights_desc(), cpuEngine(), packed->weights.data());
    built_.weightsReorder.execute(stream, user, reordered);
    stream.wait();
  } else {
    packed->weights.assign(w, w + built_.desc.weights_desc().get_size() / sizeof(float));
  }
  if (problem_.hasBias) packed->bias.assign(bias, bias + problem_.outChannels);
  return packed;
}

void DeconvPlan::execute(const float* x, const PackedWeights& packed, float* y) const {
  const float* bias = problem_.hasBias ? packed.bias.data() : nullptr;
  if (direct_) return directDeconvolution(problem_, x, packed.weights.data(), bias, y);
  if (own_) return own_->executePacked(x, packed.weights.data(), bias, y);
  applyThreadCount();
  run(x, packed.weights.data(), bias, y);
}

DeconvPlan::Binding DeconvPlan::makeBinding(const PrimitiveBuild& build) const {
  const dnnl::engine& engine = cpuEngine();
  Binding b;
  b.src = dnnl::memory(build.src, engine, DNNL_MEMORY_NONE);
  b.weights = dnnl::memory(build.desc.weights_desc(), engine, DNNL_MEMORY_NONE);
  b.dst = dnnl::memory(build.dst, engine, DNNL_MEMORY_NONE);
  if (build.reorderSrc) b.userSrc = dnnl::memory(srcDesc_, engine, DNNL_MEMORY_NONE);
  if (build.reorderDst) b.userDst = dnnl::memory(dstDesc_, engine, DNNL_MEMORY_NONE);
  b.scratchpad = dnnl::memory(build.desc.scratchpad_desc(), engine, DNNL_MEMORY_NONE);
  b.args = {{DNNL_ARG_SRC, b.src}, {DNNL_ARG_WEIGHTS, b.weights}, {DNNL_ARG_DST, b.dst}, {DNNL_ARG_SCRATCHPAD, b.scratchpad}};
  if (problem_.hasBias) {
    b.bias = dnnl::memory(biasDesc_, engine, DNNL_MEMORY_NONE);
    b.args.emplace(DNNL_ARG_BIAS, b.bias);
  }
  return b;
}

void DeconvPlan::run(const float* x, const float* weights, const float* bias, float* y) const {
  std::unique_lock<std::mutex> lock(bindingMutex_, std::try_to_lock);
  if (!lock.owns_lock()) {  // another thread runs this plan now: a binding of this call's own
    Binding local = makeBinding(built_);
    return run(built_, local, x, weights, bias, y);
  }
  if (!binding_) binding_ = std::make_unique<Binding>(makeBinding(built_));
  run(built_, *binding_, x, weights, bias, y);
}

void DeconvPlan::run(const PrimitiveBuild& build, Binding& b, const float* x, const float* weights, const float* bias, float* y) const {
  float* target = hasBands_ ? static_cast<float*>(threadScratch(2, dstDesc_.get_size())) : y;
  dnnl::stream& stream = threadStream();
  if (build.reorderSrc) {
    b.userSrc.set_data_handle(const_cast<float*>(x));
    b.src.set_data_handle(threadScratch(3, build.src.get_size()));
    build.srcReorder.execute(stream, b.userSrc, b.src);
  } else {
    b.src.set_data_handle(const_cast<float*>(x));
  }
  b.weights.set_data_handle(const_cast<float*>(weights));
  if (build.reorderDst) {
    b.userDst.set_data_handle(target);
    b.dst.set_data_handle(threadScratch(4, build.dst.get_size()));
  } else {
    b.dst.set_data_handle(target);
  }
  b.scratchpad.set_data_handle(threadScratch(0, build.desc.scratchpad_desc().get_size()));
  if (problem_.hasBias) b.bias.set_data_handle(const_cast<float*>(bias));
  build.primitive.execute(stream, b.args);
  if (build.reorderDst) build.dstReorder.execute(stream, b.dst, b.userDst);
  stream.wait();
  if (hasBands_) fillBands(bias, y, target);
}

// Writes the full output from the primitive's part: positions in a band (before `leading_` or
// past the computed box) get activation(bias); the rest is copied from `computed` (the box alone).
void DeconvPlan::fillBands(const float* bias, float* y, const float* computed) const {
  const Problem& p = problem_;
  const int64_t M = p.outChannels;
  // Promote to three axes (D, H, W); absent leading axes have size 1 and no band.
  int64_t out[3] = {1, 1, 1}, lead[3] = {0, 0, 0}, box[3] = {1, 1, 1};
  for (int i = 0; i < p.rank; ++i) {
    const int axis = 3 - p.rank + i;
    out[axis] = p.outSpatial[i];
    lead[axis] = leading_[i];
    box[axis] = p.outSpatial[i] - leading_[i] - trailing_[i];
  }
  const int64_t outPixels = out[0] * out[1] * out[2], boxPixels = box[0] * box[1] * box[2];
  const bool last = p.layout == Layout::ChannelsLast;
  auto inBox = [](int64_t v, int64_t start, int64_t size) { return v >= start && v < start + size; };
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t d = 0; d < out[0]; ++d) {
      for (int64_t h = 0; h < out[1]; ++h) {
        for (int64_t w = 0; w < out[2]; ++w) {
          const bool inside = inBox(d, lead[0], box[0]) && inBox(h, lead[1], box[1]) && inBox(w, lead[2], box[2]);
          const int64_t pixel = (d * out[1] + h) * out[2] + w;
          const int64_t source = ((d - lead[0]) * box[1] + (h - lead[1])) * box[2] + (w - lead[2]);
          for (int64_t m = 0; m < M; ++m) {
            const int64_t at = last ? (n * outPixels + pixel) * M + m : (n * M + m) * outPixels + pixel;
            if (inside) {
              y[at] = computed[last ? (n * boxPixels + source) * M + m : (n * M + m) * boxPixels + source];
            } else {
              y[at] = activate(p, bias ? bias[m] : 0.f);
            }
          }
        }
      }
    }
  }
}

}  // namespace deconv::onednn
