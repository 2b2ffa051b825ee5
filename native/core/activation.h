// The fused activations, elementwise, as every backend applies them to positions it computes itself
// (output that no input reaches, GemmCol2im's gather). Same definitions as src/activation.ts.
#pragma once

#include <cmath>

#include "problem.h"

namespace deconv {

inline float activate(const Problem& p, float v) {
  switch (p.activation) {
    case Activation::None: return v;
    // max(x, 0) in IEEE maxNum's sense (NaN gives 0), as oneDNN's kernels compute it.
    case Activation::Relu: return v > 0.f ? v : 0.f;
    // A slope of 0 is relu, NaN included; otherwise NaN stays NaN (NaN · alpha).
    case Activation::LeakyRelu: return v > 0.f ? v : p.activationAlpha == 0.f ? 0.f : v * p.activationAlpha;
    case Activation::Sigmoid: return 1.f / (1.f + std::exp(-v));
    case Activation::Tanh: return std::tanh(v);
    case Activation::Elu: return v > 0.f ? v : p.activationAlpha * std::expm1(v);
  }
  return v;
}

}  // namespace deconv
