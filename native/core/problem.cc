// Consistency checks and element counts for deconv::Problem.
#include "problem.h"

#include <string>
#include <utility>

#include "checked_math.h"
#include "error.h"

namespace deconv {

namespace {

std::string field(const char* name, int dim) {
  return std::string("problem.") + name + "[" + std::to_string(dim) + "]";
}

void requireAtLeast(int64_t value, int64_t minimum, const std::string& name) {
  if (value < minimum) {
    throw rangeError(name + " must be >= " + std::to_string(minimum) + " (got " +
                     std::to_string(value) + ")");
  }
}

// Sizes, strides, dilations, pads and element counts are at most 2^31 − 1, as the front ends
// (src/problem/checks.ts) hold them: backends index with 32-bit integers (oneDNN's kernels, cuDNN).
constexpr int64_t kMaxExtent = 2147483647;

void requireAtMost(int64_t value, int64_t maximum, const std::string& name) {
  if (value > maximum) {
    throw rangeError(name + " must be <= " + std::to_string(maximum) + " (got " + std::to_string(value) + ")");
  }
}

// Past `rank`, a spatial array must hold its neutral value (see problem.h).
void requireNeutral(int64_t value, int64_t neutral, const std::string& name) {
  if (value != neutral) {
    throw rangeError(name + " is past the spatial rank and must be " +
                     std::to_string(neutral) + " (got " + std::to_string(value) + ")");
  }
}

void requireValidRank(int rank) {
  if (rank < 1 || rank > kMaxSpatialRank) {
    throw rangeError("problem.rank must be 1, 2 or 3 (got " + std::to_string(rank) + ")");
  }
}

// The element counts may be asked for before validate(); they must not read
// past the arrays or divide by zero then either.
int64_t productOf(const SpatialDims& dims, int rank, int64_t start, const char* what) {
  requireValidRank(rank);
  int64_t product = start;
  for (int i = 0; i < rank; ++i) product = checkedMul(product, dims[i], what);
  return product;
}

}  // namespace

void Problem::validate() const {
  requireValidRank(rank);
  requireAtLeast(batch, 1, "problem.batch");
  requireAtLeast(inChannels, 1, "problem.inChannels");
  requireAtLeast(outChannels, 1, "problem.outChannels");
  requireAtLeast(groups, 1, "problem.groups");
  if (inChannels % groups != 0 || outChannels % groups != 0) {
    throw rangeError("problem.groups (" + std::to_string(groups) +
                     ") must divide both problem.inChannels (" + std::to_string(inChannels) +
                     ") and problem.outChannels (" + std::to_string(outChannels) + ")");
  }

  for (int i = 0; i < kMaxSpatialRank; ++i) {
    if (i >= rank) {
      requireNeutral(inSpatial[i], 1, field("inSpatial", i));
      requireNeutral(outSpatial[i], 1, field("outSpatial", i));
      requireNeutral(kernel[i], 1, field("kernel", i));
      requireNeutral(strides[i], 1, field("strides", i));
      requireNeutral(dilations[i], 1, field("dilations", i));
      requireNeutral(padsBegin[i], 0, field("padsBegin", i));
      requireNeutral(padsEnd[i], 0, field("padsEnd", i));
      continue;
    }
    requireAtLeast(inSpatial[i], 1, field("inSpatial", i));
    requireAtLeast(outSpatial[i], 1, field("outSpatial", i));
    requireAtLeast(kernel[i], 1, field("kernel", i));
    requireAtLeast(strides[i], 1, field("strides", i));
    requireAtLeast(dilations[i], 1, field("dilations", i));
    const std::pair<int64_t, const char*> extents[] = {
        {inSpatial[i], "inSpatial"}, {outSpatial[i], "outSpatial"}, {kernel[i], "kernel"}, {strides[i], "strides"}, {dilations[i], "dilations"}};
    for (const auto& [value, name] : extents) requireAtMost(value, kMaxExtent, field(name, i));
    requireAtMost(padsBegin[i] < 0 ? -padsBegin[i] : padsBegin[i], kMaxExtent, "|" + field("padsBegin", i) + "|");
    requireAtMost(padsEnd[i] < 0 ? -padsEnd[i] : padsEnd[i], kMaxExtent, "|" + field("padsEnd", i) + "|");

    const int64_t full = fullOutputSize(i);
    const int64_t expected =
        checkedSub(checkedSub(full, padsBegin[i], "output size"), padsEnd[i], "output size");
    if (outSpatial[i] != expected) {
      throw rangeError(field("outSpatial", i) + " is " + std::to_string(outSpatial[i]) +
                       ", but (in-1)*stride + (k-1)*dilation + 1 - padsBegin - padsEnd gives " +
                       std::to_string(expected));
    }
  }

  // Make the element counts fail here, at validation, rather than later in
  // whichever backend first asks for them; and hold them to the front ends' limit.
  requireAtMost(inputElements(), kMaxExtent, "the input element count");
  requireAtMost(outputElements(), kMaxExtent, "the output element count");
  requireAtMost(filterElements(), kMaxExtent, "the filter element count");
  requireAtMost(batch, kMaxExtent, "problem.batch");
  requireAtMost(inChannels, kMaxExtent, "problem.inChannels");
  requireAtMost(outChannels, kMaxExtent, "problem.outChannels");
}

int64_t Problem::fullOutputSize(int dim) const {
  if (dim < 0 || dim >= kMaxSpatialRank) {
    throw rangeError("spatial dim " + std::to_string(dim) + " is out of range");
  }
  const int64_t scattered =
      checkedMul(checkedSub(inSpatial[dim], 1, "output size"), strides[dim], "output size");
  const int64_t kernelExtent =
      checkedMul(checkedSub(kernel[dim], 1, "output size"), dilations[dim], "output size");
  return checkedAdd(checkedAdd(scattered, kernelExtent, "output size"), 1, "output size");
}

int64_t Problem::inputElements() const {
  return productOf(inSpatial, rank, checkedMul(batch, inChannels, "input element count"),
                   "input element count");
}

int64_t Problem::outputElements() const {
  return productOf(outSpatial, rank, checkedMul(batch, outChannels, "output element count"),
                   "output element count");
}

int64_t Problem::filterElements() const {
  requireAtLeast(groups, 1, "problem.groups");
  return productOf(kernel, rank,
                   checkedMul(inChannels, outChannels / groups, "filter element count"),
                   "filter element count");
}

int64_t Problem::biasElements() const { return hasBias ? outChannels : 0; }

}  // namespace deconv
