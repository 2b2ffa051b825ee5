// The packed form of a Problem that the JS side sends on every call (src/backends/native-problem.ts):
// 32 float64 slots — format (1), rank, batch, inChannels, outChannels, groups, then inSpatial,
// outSpatial, kernel, strides, dilations, padsBegin, padsEnd (3 slots each, neutral past rank),
// layout (0 last, 1 first), filterLayout (0 TF, 1 ONNX), hasBias, activation (0 none, 1 relu,
// 2 leakyRelu, 3 sigmoid, 4 tanh, 5 elu), activationAlpha. One N-API call instead of one per field.
//
// Plain C++ (no Node headers), so that a fuzzer can drive it directly (native/fuzz/).
#pragma once

#include <cstddef>

#include "problem.h"

namespace deconv {

constexpr int kPackedProblemFormat = 1;
constexpr std::size_t kPackedProblemLength = 32;

// Reads the slots; does not call validate(). Throws deconv::Error (RangeError) for a length other
// than 32, an unknown format, a slot that is not a safe integer where an integer belongs, or an
// enum code out of range. Any double is safe to pass (NaN, infinities, huge values).
Problem problemFromPacked(const double* values, std::size_t length);

}  // namespace deconv
