// The transposed convolution as plain loops, for problems so small that calling into a library
// costs more than the arithmetic: oneDNN's primitive execution (argument map, stream, an OpenMP
// region) takes about 3 µs, a 2×2 problem a few nanoseconds of multiply-adds.
#pragma once

#include "problem.h"

namespace deconv {

// Whether `problem` is small enough for directDeconvolution to beat a library call (a few
// thousand multiply-adds and outputs at most).
bool isTinyProblem(const Problem& problem);

// y = activation(bias + transposed convolution of x with w), every output element written. x, w
// and y in the problem's layouts; bias has outChannels values, or is null.
void directDeconvolution(const Problem& problem, const float* x, const float* w, const float* bias, float* y);

}  // namespace deconv
