// Marshalling of a JS problem object into deconv::Problem.
//
// The JS object carries the same fields as the struct (see core/problem.h):
//   { rank, batch, inChannels, outChannels, groups,
//     inSpatial, outSpatial, kernel, strides, dilations, padsBegin, padsEnd,
//                               // arrays of exactly `rank` integers
//     layout,                   // 'channelsLast' | 'channelsFirst'
//     filterLayout,             // 'spatialOutIn' | 'inOutSpatial'
//     hasBias }                 // boolean
// Every field is required: the TS front ends normalize before calling in.
#pragma once

#include <napi.h>

#include <cstddef>

#include "../core/problem.h"

namespace deconv::napi {

// The packed form the JS side sends on every call (src/backends/native-problem.ts): a
// Float64Array of 32 slots — format (1), rank, batch, inChannels, outChannels, groups, then
// inSpatial, outSpatial, kernel, strides, dilations, padsBegin, padsEnd (3 slots each, neutral
// past rank), layout (0 last, 1 first), filterLayout (0 TF, 1 ONNX), hasBias, activation
// (0 none, 1 relu, 2 leakyRelu, 3 sigmoid, 4 tanh, 5 elu), activationAlpha. One N-API call
// instead of one per field.
constexpr int kPackedProblemFormat = 1;
constexpr std::size_t kPackedProblemLength = 32;

// Reads the fields only; does not call validate(). Throws deconv::Error:
// TypeError when a field is missing or has the wrong JS type (naming the
// field), RangeError when a value has the right type but is unusable (not a
// safe integer, wrong array length, unknown enum string, rank not 1..3).
// A throwing getter's JS exception propagates unchanged.
// Also accepts the packed form above.
Problem problemFromJs(const Napi::Value& value);

}  // namespace deconv::napi
