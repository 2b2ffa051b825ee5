// libFuzzer harness for the native argument parsing and the oneDNN backend below it.
//
// Each input is decoded into the 32-slot packed problem the JS side sends (core/packed_problem.h),
// most slots as small integers, some as extreme doubles (NaN, ±inf, 2^31, 2^53, ...), optionally
// made consistent so that validation passes often. Then:
//   1. problemFromPacked + validate + element counts: only deconv::Error may come out;
//   2. a valid problem that is small enough runs on the oneDNN backend (each way of computing in
//      turn, forced by DECONV_ONEDNN_VARIANT) with buffers of exactly the sizes the problem
//      implies — under AddressSanitizer any access past them is reported — and the result must
//      match a plain scatter-form reference within 1e-4; so must the packed-weights path.
// Not part of the addon: built and run by scripts/fuzz-native.mjs (npm run fuzz) with clang.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include "../core/activation.h"
#include "../core/error.h"
#include "../core/packed_problem.h"
#include "../core/problem.h"
#include "../onednn/plan.h"

namespace {

using deconv::Problem;

// Reads the fuzzer's bytes front to back; zeros once they run out.
struct Reader {
  const uint8_t* data;
  std::size_t size;
  std::size_t at = 0;
  uint8_t byte() { return at < size ? data[at++] : 0; }
  double raw() {
    double v = 0;
    if (at + sizeof v <= size) std::memcpy(&v, data + at, sizeof v);
    at += sizeof v;
    return v;
  }
};

double slotValue(Reader& in) {
  const uint8_t b = in.byte();
  if (b == 0xFF) return in.raw();
  if ((b >> 4) == 0xE) {
    static const double kSpecial[] = {NAN, INFINITY, -INFINITY, 0.5, 2147483648.0, 9007199254740992.0, -9.2233720368547758e18, 1e308};
    return kSpecial[b & 7];
  }
  return static_cast<double>(b & 0x0F) - 1;  // -1 .. 14
}

// Makes the slots describe a consistent problem where they can (the fuzzer then explores valid
// problems far more often than by chance).
void makeConsistent(double* v) {
  v[0] = 1;
  if (!(v[1] >= 1 && v[1] <= 3)) v[1] = 1 + std::fmod(std::fabs(std::isfinite(v[1]) ? v[1] : 0), 3.0);
  v[1] = std::floor(v[1]);
  const int rank = static_cast<int>(v[1]);
  for (int d = 0; d < 3; ++d) {
    auto at = [&](int array) -> double& { return v[6 + array * 3 + d]; };
    if (d >= rank) {
      for (int a = 0; a < 7; ++a) at(a) = a >= 5 ? 0 : 1;
      continue;
    }
    const double full = (at(0) - 1) * at(3) + (at(2) - 1) * at(4) + 1;
    at(1) = full - at(5) - at(6);
  }
  if (v[5] >= 1 && std::isfinite(v[3]) && std::isfinite(v[4])) {
    v[3] = v[5] * std::max(1.0, std::floor(std::fabs(v[3]) / std::max(1.0, v[5])));
    v[4] = v[5] * std::max(1.0, std::floor(std::fabs(v[4]) / std::max(1.0, v[5])));
  }
}

float value(uint32_t& state) {
  state = state * 1664525u + 1013904223u;
  return static_cast<float>(state >> 8) / 8388608.0f - 1.0f;
}

// The definition, in scatter form over the problem's own layouts, in double precision.
std::vector<double> reference(const Problem& p, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& bias) {
  const int64_t N = p.batch, C = p.inChannels, M = p.outChannels, G = p.groups, Cg = C / G, Mg = M / G;
  const auto& I = p.inSpatial;
  const auto& O = p.outSpatial;
  const auto& K = p.kernel;
  const bool last = p.layout == deconv::Layout::ChannelsLast;
  auto xAt = [&](int64_t n, int64_t c, int64_t a, int64_t b, int64_t e) {
    return last ? (((n * I[0] + a) * I[1] + b) * I[2] + e) * C + c : (((n * C + c) * I[0] + a) * I[1] + b) * I[2] + e;
  };
  auto yAt = [&](int64_t n, int64_t m, int64_t a, int64_t b, int64_t e) {
    return last ? (((n * O[0] + a) * O[1] + b) * O[2] + e) * M + m : (((n * M + m) * O[0] + a) * O[1] + b) * O[2] + e;
  };
  auto wAt = [&](int64_t c, int64_t m, int64_t a, int64_t b, int64_t e) {
    return p.filterLayout == deconv::FilterLayout::InOutSpatial ? (((c * Mg + m) * K[0] + a) * K[1] + b) * K[2] + e
                                                                : (((a * K[1] + b) * K[2] + e) * Mg + m) * C + c;
  };
  std::vector<double> y(static_cast<std::size_t>(p.outputElements()), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i0 = 0; i0 < I[0]; ++i0)
        for (int64_t i1 = 0; i1 < I[1]; ++i1)
          for (int64_t i2 = 0; i2 < I[2]; ++i2)
            for (int64_t k0 = 0; k0 < K[0]; ++k0)
              for (int64_t k1 = 0; k1 < K[1]; ++k1)
                for (int64_t k2 = 0; k2 < K[2]; ++k2) {
                  const int64_t o0 = i0 * p.strides[0] + k0 * p.dilations[0] - p.padsBegin[0];
                  const int64_t o1 = i1 * p.strides[1] + k1 * p.dilations[1] - p.padsBegin[1];
                  const int64_t o2 = i2 * p.strides[2] + k2 * p.dilations[2] - p.padsBegin[2];
                  if (o0 < 0 || o0 >= O[0] || o1 < 0 || o1 >= O[1] || o2 < 0 || o2 >= O[2]) continue;
                  const int64_t g = c / Cg;
                  for (int64_t m = 0; m < Mg; ++m) {
                    y[static_cast<std::size_t>(yAt(n, g * Mg + m, o0, o1, o2))] +=
                        static_cast<double>(x[static_cast<std::size_t>(xAt(n, c, i0, i1, i2))]) * w[static_cast<std::size_t>(wAt(c, m, k0, k1, k2))];
                  }
                }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t o0 = 0; o0 < O[0]; ++o0)
        for (int64_t o1 = 0; o1 < O[1]; ++o1)
          for (int64_t o2 = 0; o2 < O[2]; ++o2) {
            double& v = y[static_cast<std::size_t>(yAt(n, m, o0, o1, o2))];
            if (p.hasBias) v += bias[static_cast<std::size_t>(m)];
            v = deconv::activate(p, static_cast<float>(v));
          }
  return y;
}

const Problem* current = nullptr;  // for messages
void printProblem(const Problem& p);

void expectClose(const std::vector<float>& got, const std::vector<double>& want, const char* what) {
  double peak = 1;
  for (double v : want) peak = std::max(peak, std::fabs(v));
  for (std::size_t i = 0; i < want.size(); ++i) {
    // Activations are computed in float on both sides; the sums differ by rounding only.
    if (!(std::fabs(got[i] - want[i]) <= 1e-4 * (std::fabs(want[i]) + peak))) {
      std::fprintf(stderr, "problem_fuzzer: %s differs from the reference at %zu: %g vs %g\n", what, i, got[i], want[i]);
      printProblem(*current);
      std::abort();
    }
  }
}

const char* const kVariants[] = {"caller", "other", "preferred", "gemm", "gemm-input-first", "tiled-matmul", "phases", "gemm-images", "phases-images", "phase-kernel", "phase-rows"};
constexpr unsigned kVariantCount = sizeof(kVariants) / sizeof(kVariants[0]);

// Figures for the closing line (printed at exit): inputs seen, refused, valid, computed.
struct Tally {
  long inputs = 0, refused = 0, valid = 0, computed = 0;
  ~Tally() { std::fprintf(stderr, "problem_fuzzer: %ld inputs: %ld refused, %ld valid, %ld computed on oneDNN and checked\n", inputs, refused, valid, computed); }
} tally;

void printProblem(const Problem& p) {
  auto dims = [](const char* name, const deconv::SpatialDims& d) { std::fprintf(stderr, " %s=[%lld,%lld,%lld]", name, (long long)d[0], (long long)d[1], (long long)d[2]); };
  std::fprintf(stderr, "problem: rank=%d N=%lld C=%lld M=%lld G=%lld", p.rank, (long long)p.batch, (long long)p.inChannels, (long long)p.outChannels, (long long)p.groups);
  dims("in", p.inSpatial);
  dims("out", p.outSpatial);
  dims("k", p.kernel);
  dims("s", p.strides);
  dims("d", p.dilations);
  dims("pb", p.padsBegin);
  dims("pe", p.padsEnd);
  std::fprintf(stderr, " layout=%d filter=%d bias=%d act=%d alpha=%g variant=%s\n", (int)p.layout, (int)p.filterLayout, (int)p.hasBias, (int)p.activation, p.activationAlpha, std::getenv("DECONV_ONEDNN_VARIANT"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  ++tally.inputs;
  Reader in{data, size};
  const uint8_t control = in.byte();
  double slots[deconv::kPackedProblemLength];
  for (double& slot : slots) slot = slotValue(in);
  if (control & 1) makeConsistent(slots);
  const std::size_t length = (control & 2) ? in.byte() % 40 : deconv::kPackedProblemLength;

  Problem problem;
  try {
    problem = deconv::problemFromPacked(slots, length);
    problem.validate();
    problem.biasElements();
  } catch (const deconv::Error&) {
    ++tally.refused;
    return 0;  // refused: what bad input must get
  }
  ++tally.valid;
  // Small enough to compute, and to check against the reference, quickly.
  const int64_t xn = problem.inputElements(), wn = problem.filterElements(), yn = problem.outputElements();
  const int64_t work = xn * (problem.outChannels / problem.groups) * problem.kernel[0] * problem.kernel[1] * problem.kernel[2];
  if (xn > (1 << 14) || wn > (1 << 14) || yn > (1 << 15) || work > (1 << 20)) return 0;

  uint32_t state = control * 2654435761u + static_cast<uint32_t>(size);
  std::vector<float> x(static_cast<std::size_t>(xn)), w(static_cast<std::size_t>(wn)), bias(static_cast<std::size_t>(problem.biasElements()));
  for (float& v : x) v = value(state);
  for (float& v : w) v = value(state);
  for (float& v : bias) v = value(state);
  const std::vector<double> want = reference(problem, x, w, bias);

  current = &problem;
  setenv("DECONV_ONEDNN_VARIANT", kVariants[(control >> 2) % kVariantCount], 1);
  try {
    const deconv::onednn::DeconvPlan plan(problem, deconv::onednn::MathMode::Float32);
    std::vector<float> y(static_cast<std::size_t>(yn), NAN);
    plan.execute(x.data(), w.data(), problem.hasBias ? bias.data() : nullptr, y.data());
    expectClose(y, want, "execute()");
    const auto packed = plan.pack(w.data(), problem.hasBias ? bias.data() : nullptr);
    std::vector<float> y2(static_cast<std::size_t>(yn), NAN);
    plan.execute(x.data(), *packed, y2.data());
    expectClose(y2, want, "execute(packed)");
    ++tally.computed;
  } catch (const deconv::Error& e) {
    // A valid problem that oneDNN cannot build is a bug to see, not bad input.
    std::fprintf(stderr, "problem_fuzzer: a valid problem failed: %s\n", e.what());
    printProblem(problem);
    std::abort();
  }
  return 0;
}
