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

#include "../core/packed_problem.h"
#include "../core/problem.h"

namespace deconv::napi {

// Reads the fields only; does not call validate(). Throws deconv::Error:
// TypeError when a field is missing or has the wrong JS type (naming the
// field), RangeError when a value has the right type but is unusable (not a
// safe integer, wrong array length, unknown enum string, rank not 1..3).
// A throwing getter's JS exception propagates unchanged.
// Also accepts the packed form the JS side sends on every call, a Float64Array of 32 slots (see
// core/packed_problem.h).
Problem problemFromJs(const Napi::Value& value);

}  // namespace deconv::napi
