#include "direct_deconvolution.h"

#include "activation.h"
#include "axes3.h"

namespace deconv {

namespace {

constexpr int64_t kMaxMultiplyAdds = 4096;
constexpr int64_t kMaxOutputs = 16384;

}  // namespace

bool isTinyProblem(const Problem& p) {
  int64_t macs = p.batch * p.inChannels * (p.outChannels / p.groups), outputs = p.batch * p.outChannels;
  for (int i = 0; i < p.rank; ++i) {
    macs *= p.inSpatial[i] * p.kernel[i];
    outputs *= p.outSpatial[i];
    if (macs > kMaxMultiplyAdds || outputs > kMaxOutputs) return false;
  }
  return macs <= kMaxMultiplyAdds && outputs <= kMaxOutputs;
}

void directDeconvolution(const Problem& p, const float* x, const float* w, const float* bias, float* y) {
  const Axes3 a(p);
  const int64_t N = p.batch, C = p.inChannels, M = p.outChannels;
  const int64_t Cg = C / p.groups, Mg = M / p.groups;
  const int64_t inPixels = a.in[0] * a.in[1] * a.in[2], outPixels = a.out[0] * a.out[1] * a.out[2];
  const int64_t taps = a.k[0] * a.k[1] * a.k[2];
  const bool last = p.layout == Layout::ChannelsLast;
  const bool tfFilter = p.filterLayout == FilterLayout::SpatialOutIn;
  auto yAt = [&](int64_t n, int64_t m, int64_t pixel) -> float& {
    return y[last ? (n * outPixels + pixel) * M + m : (n * M + m) * outPixels + pixel];
  };
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t pixel = 0; pixel < outPixels; ++pixel) yAt(n, m, pixel) = bias ? bias[m] : 0.f;
  // Every input element scattered through the kernel: output o = i·s + k·d − padsBegin per axis.
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t group = c / Cg;
      for (int64_t id = 0; id < a.in[0]; ++id)
        for (int64_t ih = 0; ih < a.in[1]; ++ih)
          for (int64_t iw = 0; iw < a.in[2]; ++iw) {
            const int64_t inPixel = (id * a.in[1] + ih) * a.in[2] + iw;
            const float value = x[last ? (n * inPixels + inPixel) * C + c : (n * C + c) * inPixels + inPixel];
            for (int64_t kd = 0; kd < a.k[0]; ++kd) {
              const int64_t od = id * a.s[0] + kd * a.d[0] - a.pb[0];
              if (od < 0 || od >= a.out[0]) continue;
              for (int64_t kh = 0; kh < a.k[1]; ++kh) {
                const int64_t oh = ih * a.s[1] + kh * a.d[1] - a.pb[1];
                if (oh < 0 || oh >= a.out[1]) continue;
                for (int64_t kw = 0; kw < a.k[2]; ++kw) {
                  const int64_t ow = iw * a.s[2] + kw * a.d[2] - a.pb[2];
                  if (ow < 0 || ow >= a.out[2]) continue;
                  const int64_t tap = (kd * a.k[1] + kh) * a.k[2] + kw;
                  const int64_t outPixel = (od * a.out[1] + oh) * a.out[2] + ow;
                  for (int64_t mg = 0; mg < Mg; ++mg) {
                    const float weight = w[tfFilter ? (tap * Mg + mg) * C + c : (c * Mg + mg) * taps + tap];
                    yAt(n, group * Mg + mg, outPixel) += value * weight;
                  }
                }
              }
            }
          }
    }
  }
  if (p.activation == Activation::None) return;
  const int64_t total = N * M * outPixels;
  for (int64_t i = 0; i < total; ++i) y[i] = activate(p, y[i]);
}

}  // namespace deconv
