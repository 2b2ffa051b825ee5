// The training kernels (training.cu) compiled as host C++ (host_emulation.h) and checked against
// plain double-precision formulas: the optimizers, the activations and their derivatives, batch
// normalization (forward in training and inference, backward, moving statistics) and the
// per-channel sum, and the window copy. Built and run by test/training-kernels.test.ts:
//
//   g++ -std=c++20 -O1 -pthread native/cudnn/kernels/training_kernels_test.cc -o /tmp/k && /tmp/k
//
// Prints one line per failure and "N checks, M failures"; exits 1 on any failure.
#include "host_emulation.h"

// The kernels themselves, exactly as nvcc sees them.
#include "training.cu"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

namespace {

int checks = 0;
int failures = 0;
std::mt19937 rng(20261128);

std::vector<float> randomValues(std::size_t n, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

void expectClose(const std::string& what, const std::vector<float>& got, const std::vector<double>& want, double tol) {
  ++checks;
  double scale = 1;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]);
    if (!(err <= tol * std::fabs(want[i]) + tol * scale)) {
      std::printf("FAIL %s: element %zu is %.9g, expected %.9g\n", what.c_str(), i, got[i], want[i]);
      ++failures;
      return;
    }
  }
}

// Grid-stride kernels run with a small grid so that every thread strides more than once.
constexpr unsigned kGrid = 3, kBlock = 4;

void testSgd() {
  for (int variant = 0; variant < 3; ++variant) {
    const std::size_t n = 29;
    std::vector<float> w = randomValues(n), velocity(n, 0.f);
    std::vector<double> ww(w.begin(), w.end()), vv(n, 0.0);
    const float lr = 0.05f, momentum = variant == 0 ? 0.f : 0.9f;
    const int nesterov = variant == 2;
    for (int step = 0; step < 3; ++step) {
      const std::vector<float> g = randomValues(n);
      emulation::launch(kGrid, kBlock, [&] { deconv_sgd_f32(w.data(), g.data(), variant == 0 ? nullptr : velocity.data(), lr, momentum, nesterov, n); });
      for (std::size_t i = 0; i < n; ++i) {
        if (variant == 0) {
          ww[i] -= lr * g[i];
        } else {
          vv[i] = momentum * vv[i] - lr * g[i];
          ww[i] += nesterov ? momentum * vv[i] - lr * g[i] : vv[i];
        }
      }
    }
    expectClose("sgd variant " + std::to_string(variant), w, ww, 1e-5);
  }
}

void testAdam() {
  const std::size_t n = 31;
  std::vector<float> w = randomValues(n), m(n, 0.f), v(n, 0.f);
  std::vector<double> ww(w.begin(), w.end()), mm(n, 0.0), vv(n, 0.0);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-7, rate = 0.01;
  for (int t = 1; t <= 3; ++t) {
    const std::vector<float> g = randomValues(n);
    const double lr = rate * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    emulation::launch(kGrid, kBlock, [&] {
      deconv_adam_f32(w.data(), g.data(), m.data(), v.data(), static_cast<float>(lr), static_cast<float>(b1), static_cast<float>(b2),
                      static_cast<float>(eps), n);
    });
    for (std::size_t i = 0; i < n; ++i) {
      mm[i] = b1 * mm[i] + (1 - b1) * g[i];
      vv[i] = b2 * vv[i] + (1 - b2) * g[i] * g[i];
      ww[i] -= lr * mm[i] / (std::sqrt(vv[i]) + eps);
    }
  }
  expectClose("adam", w, ww, 1e-5);
}

double activate(int kind, double alpha, double x) {
  switch (kind) {
    case 1: return x > 0 ? x : 0;
    case 2: return x > 0 ? x : (alpha == 0 ? 0 : x * alpha);
    case 3: return 1 / (1 + std::exp(-x));
    case 4: return std::tanh(x);
    case 5: return x > 0 ? x : alpha * std::expm1(x);
    default: return x;
  }
}

double slope(int kind, double alpha, double y) {
  switch (kind) {
    case 1: return y > 0 ? 1 : 0;
    case 2: return y > 0 ? 1 : alpha;
    case 3: return y * (1 - y);
    case 4: return 1 - y * y;
    case 5: return y > 0 ? 1 : y + alpha;
    default: return 1;
  }
}

void testActivations() {
  const std::size_t n = 37;
  for (int kind = 0; kind <= 5; ++kind) {
    const float alpha = kind == 2 ? 0.2f : 1.f;
    const std::vector<float> v = randomValues(n, -3.f, 3.f), dy = randomValues(n);
    std::vector<float> y(n), dv(n);
    emulation::launch(kGrid, kBlock, [&] { deconv_activation_forward_f32(v.data(), y.data(), kind, alpha, n); });
    emulation::launch(kGrid, kBlock, [&] { deconv_activation_backward_f32(y.data(), dy.data(), dv.data(), kind, alpha, n); });
    std::vector<double> wantY(n), wantDv(n);
    for (std::size_t i = 0; i < n; ++i) {
      wantY[i] = activate(kind, alpha, v[i]);
      wantDv[i] = dy[i] * slope(kind, alpha, y[i]);
    }
    expectClose("activation forward " + std::to_string(kind), y, wantY, 1e-6);
    expectClose("activation backward " + std::to_string(kind), dv, wantDv, 1e-6);
  }
}

// float16 and bfloat16 storage: an sgd step without momentum stores w − lr·g rounded to the dtype.
void testHalfStorage() {
  const std::size_t n = 64;
  const std::vector<float> start = randomValues(n, -60000.f, 60000.f);
  std::vector<Half> h(n);
  std::vector<BFloat16> b(n);
  for (std::size_t i = 0; i < n; ++i) {
    h[i].bits = emulation::floatToHalf(start[i]);
    const unsigned u = __float_as_uint(start[i]);
    b[i].bits = static_cast<unsigned short>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
  std::vector<float> hostH(n), hostB(n);
  for (std::size_t i = 0; i < n; ++i) {
    hostH[i] = emulation::halfToFloat(h[i].bits);
    hostB[i] = __uint_as_float(static_cast<unsigned>(b[i].bits) << 16);
  }
  emulation::launch(kGrid, kBlock, [&] { deconv_sgd_f16(h.data(), reinterpret_cast<const Half*>(h.data()), nullptr, 0.5f, 0.f, 0, n); });
  emulation::launch(kGrid, kBlock, [&] { deconv_sgd_bf16(b.data(), reinterpret_cast<const BFloat16*>(b.data()), nullptr, 0.5f, 0.f, 0, n); });
  std::vector<float> gotH(n), gotB(n);
  std::vector<double> wantH(n), wantB(n);
  for (std::size_t i = 0; i < n; ++i) {
    gotH[i] = emulation::halfToFloat(h[i].bits);
    gotB[i] = __uint_as_float(static_cast<unsigned>(b[i].bits) << 16);
    wantH[i] = hostH[i] * 0.5;  // w − 0.5·w with g = w: exact in the dtype
    wantB[i] = hostB[i] * 0.5;
  }
  expectClose("float16 storage", gotH, wantH, 1e-7);
  expectClose("bfloat16 storage", gotB, wantB, 1e-7);
}

struct BnCase {
  int64_t outer, channels, inner;
  bool training, affine;
};

void testBatchNorm(const BnCase& c) {
  const std::size_t n = static_cast<std::size_t>(c.outer * c.channels * c.inner);
  const std::size_t C = static_cast<std::size_t>(c.channels);
  const std::string name = "batch norm " + std::to_string(c.outer) + "x" + std::to_string(c.channels) + "x" + std::to_string(c.inner) +
                           (c.training ? " training" : " inference") + (c.affine ? " affine" : "");
  const std::vector<float> x = randomValues(n, -2.f, 3.f), dy = randomValues(n);
  const std::vector<float> gamma = randomValues(C, 0.5f, 1.5f), beta = randomValues(C);
  std::vector<float> movingMean = randomValues(C), movingVariance = randomValues(C, 0.5f, 2.f);
  const std::vector<float> startMean = movingMean, startVariance = movingVariance;
  std::vector<float> y(n), normalized(n), invStd(C), dx(n), dGamma(C), dBeta(C);
  const float momentum = 0.9f, epsilon = 1e-3f;
  const float* g = c.affine ? gamma.data() : nullptr;
  const float* b = c.affine ? beta.data() : nullptr;
  emulation::launch(static_cast<unsigned>(C), kBnThreads, [&] {
    deconv_batch_norm_forward_f32(x.data(), y.data(), normalized.data(), invStd.data(), g, b, movingMean.data(), movingVariance.data(),
                                  c.outer, static_cast<unsigned>(C), c.inner, momentum, epsilon, c.training);
  });
  emulation::launch(static_cast<unsigned>(C), kBnThreads, [&] {
    deconv_batch_norm_backward_f32(dy.data(), normalized.data(), invStd.data(), g, dx.data(), dGamma.data(), dBeta.data(), c.outer,
                                   static_cast<unsigned>(C), c.inner, c.training);
  });
  // The same in double, written out directly.
  std::vector<double> wantY(n), wantDx(n), wantDGamma(C), wantDBeta(C), wantMean(C), wantVariance(C);
  const double count = static_cast<double>(c.outer * c.inner);
  for (std::size_t ch = 0; ch < C; ++ch) {
    auto at = [&](int64_t o, int64_t j) { return static_cast<std::size_t>((o * c.channels + static_cast<int64_t>(ch)) * c.inner + j); };
    double mean = startMean[ch], variance = startVariance[ch];
    if (c.training) {
      mean = 0;
      for (int64_t o = 0; o < c.outer; ++o)
        for (int64_t j = 0; j < c.inner; ++j) mean += x[at(o, j)];
      mean /= count;
      variance = 0;
      for (int64_t o = 0; o < c.outer; ++o)
        for (int64_t j = 0; j < c.inner; ++j) variance += (x[at(o, j)] - mean) * (x[at(o, j)] - mean);
      variance /= count;
      wantMean[ch] = startMean[ch] * momentum + mean * (1 - momentum);
      wantVariance[ch] = startVariance[ch] * momentum + variance * (1 - momentum);
    } else {
      wantMean[ch] = startMean[ch];
      wantVariance[ch] = startVariance[ch];
    }
    const double inv = 1 / std::sqrt(variance + epsilon);
    const double scale = c.affine ? gamma[ch] : 1.0, shift = c.affine ? beta[ch] : 0.0;
    double sumDy = 0, sumDyN = 0;
    for (int64_t o = 0; o < c.outer; ++o)
      for (int64_t j = 0; j < c.inner; ++j) {
        const double xn = (x[at(o, j)] - mean) * inv;
        wantY[at(o, j)] = scale * xn + shift;
        sumDy += dy[at(o, j)];
        sumDyN += dy[at(o, j)] * xn;
      }
    wantDBeta[ch] = sumDy;
    wantDGamma[ch] = sumDyN;
    for (int64_t o = 0; o < c.outer; ++o)
      for (int64_t j = 0; j < c.inner; ++j) {
        const double xn = (x[at(o, j)] - mean) * inv;
        wantDx[at(o, j)] = c.training ? scale * inv * (dy[at(o, j)] - sumDy / count - xn * sumDyN / count) : scale * inv * dy[at(o, j)];
      }
  }
  expectClose(name + " y", y, wantY, 1e-5);
  expectClose(name + " moving mean", movingMean, wantMean, 1e-6);
  expectClose(name + " moving variance", movingVariance, wantVariance, 1e-6);
  expectClose(name + " dx", dx, wantDx, 1e-5);
  expectClose(name + " dgamma", dGamma, wantDGamma, 1e-5);
  expectClose(name + " dbeta", dBeta, wantDBeta, 1e-5);
}

// The per-channel sum (the bias gradient in bfloat16), in float32 and in bfloat16 storage.
void testChannelSum(int64_t outer, int64_t channels, int64_t inner) {
  const std::size_t n = static_cast<std::size_t>(outer * channels * inner), C = static_cast<std::size_t>(channels);
  const std::vector<float> values = randomValues(n);
  std::vector<float> got(C);
  emulation::launch(static_cast<unsigned>(C), kBnThreads, [&] { deconv_channel_sum_f32(values.data(), got.data(), outer, static_cast<unsigned>(C), inner); });
  std::vector<BFloat16> bf(n), bfOut(C);
  for (std::size_t i = 0; i < n; ++i) bf[i].bits = static_cast<unsigned short>(__float_as_uint(values[i]) >> 16);  // truncated: exact inputs
  emulation::launch(static_cast<unsigned>(C), kBnThreads, [&] { deconv_channel_sum_bf16(bf.data(), bfOut.data(), outer, static_cast<unsigned>(C), inner); });
  std::vector<double> want(C, 0.0), wantBf(C, 0.0);
  std::vector<float> gotBf(C);
  for (int64_t o = 0; o < outer; ++o)
    for (std::size_t c = 0; c < C; ++c)
      for (int64_t j = 0; j < inner; ++j) {
        const std::size_t i = static_cast<std::size_t>((o * channels + static_cast<int64_t>(c)) * inner + j);
        want[c] += values[i];
        wantBf[c] += __uint_as_float(static_cast<unsigned>(bf[i].bits) << 16);
      }
  for (std::size_t c = 0; c < C; ++c) gotBf[c] = __uint_as_float(static_cast<unsigned>(bfOut[c].bits) << 16);
  const std::string name = "channel sum " + std::to_string(outer) + "x" + std::to_string(channels) + "x" + std::to_string(inner);
  expectClose(name, got, want, 1e-6);
  expectClose(name + " bfloat16", gotBf, wantBf, 4e-3);  // one bfloat16 rounding of the sum
}

// The window copy: a [2][5][7] window (offset 1, 2, 3) of a [3][8][11] array into one of
// [2][6][9] (offset 0, 1, 1), in 4- and 2-byte units; everything outside the window untouched.
template <typename T>
void testWindowCopy(void (*kernel)(const T*, T*, WindowCopy), const std::string& name) {
  const long long src[3] = {3, 8, 11}, dst[3] = {2, 6, 9}, len[3] = {2, 5, 7}, from[3] = {1, 2, 3}, to[3] = {0, 1, 1};
  std::vector<T> source(static_cast<std::size_t>(src[0] * src[1] * src[2])), target(static_cast<std::size_t>(dst[0] * dst[1] * dst[2]));
  for (std::size_t i = 0; i < source.size(); ++i) std::memcpy(&source[i], &i, std::min(sizeof(T), sizeof(i)));
  std::vector<T> want = target;
  for (long long a = 0; a < len[0]; ++a)
    for (long long b = 0; b < len[1]; ++b)
      for (long long c = 0; c < len[2]; ++c)
        want[static_cast<std::size_t>(((to[0] + a) * dst[1] + to[1] + b) * dst[2] + to[2] + c)] =
            source[static_cast<std::size_t>(((from[0] + a) * src[1] + from[1] + b) * src[2] + from[2] + c)];
  WindowCopy w{};
  w.dims = 3;
  w.total = 1;
  for (int d = 0; d < 3; ++d) {
    w.length[d] = static_cast<unsigned long long>(len[d]);
    w.total *= w.length[d];
  }
  w.sourceStride[0] = src[1] * src[2], w.sourceStride[1] = src[2], w.sourceStride[2] = 1;
  w.targetStride[0] = dst[1] * dst[2], w.targetStride[1] = dst[2], w.targetStride[2] = 1;
  const T* base = source.data() + (from[0] * src[1] + from[1]) * src[2] + from[2];
  T* out = target.data() + (to[0] * dst[1] + to[1]) * dst[2] + to[2];
  emulation::launch(kGrid, kBlock, [&] { kernel(base, out, w); });
  ++checks;
  if (std::memcmp(target.data(), want.data(), target.size() * sizeof(T)) != 0) {
    std::printf("FAIL window copy (%s)\n", name.c_str());
    ++failures;
  }
}

}  // namespace

int main() {
  testSgd();
  testAdam();
  testActivations();
  testHalfStorage();
  // Channels last (inner 1), channels first (outer = batch), one value per channel, a count
  // that is not a multiple of the block, and more values per channel than threads.
  for (const BnCase& c : {BnCase{24, 3, 1, true, true}, BnCase{2, 5, 7, true, true}, BnCase{1, 4, 1, true, false}, BnCase{3, 2, 301, true, true},
                          BnCase{2, 5, 7, false, true}, BnCase{6, 3, 4, false, false}}) {
    testBatchNorm(c);
  }
  for (const BnCase& c : {BnCase{24, 3, 1}, BnCase{2, 5, 7}, BnCase{3, 2, 301}}) testChannelSum(c.outer, c.channels, c.inner);
  testWindowCopy<float>(deconv_window_copy_f32, "4-byte units");
  testWindowCopy<Half>(deconv_window_copy_f16, "2-byte units");
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
