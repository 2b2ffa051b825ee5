#include "packed_problem.h"

#include <cstdint>
#include <string>

#include "error.h"

namespace deconv {

Problem problemFromPacked(const double* v, std::size_t length) {
  if (length != kPackedProblemLength || v == nullptr) throw rangeError("packed problem must have 32 entries");
  auto integer = [&](int slot, const char* name) {
    const double number = v[slot];
    constexpr double kMaxSafeInteger = 9007199254740991.0;
    // NaN fails the range test; the range test comes first so that the cast below is defined.
    if (!(number >= -kMaxSafeInteger && number <= kMaxSafeInteger) || number != static_cast<double>(static_cast<int64_t>(number))) {
      throw rangeError(std::string("packed problem: ") + name + " must be a safe integer");
    }
    return static_cast<int64_t>(number);
  };
  if (integer(0, "format") != kPackedProblemFormat) throw rangeError("packed problem: unknown format");
  Problem p;
  const int64_t rank = integer(1, "rank");
  if (rank < 1 || rank > kMaxSpatialRank) throw rangeError("packed problem: rank must be 1, 2 or 3");
  p.rank = static_cast<int>(rank);
  p.batch = integer(2, "batch");
  p.inChannels = integer(3, "inChannels");
  p.outChannels = integer(4, "outChannels");
  p.groups = integer(5, "groups");
  SpatialDims* arrays[] = {&p.inSpatial, &p.outSpatial, &p.kernel, &p.strides, &p.dilations, &p.padsBegin, &p.padsEnd};
  for (int a = 0; a < 7; ++a) {
    for (int i = 0; i < kMaxSpatialRank; ++i) (*arrays[a])[i] = integer(6 + a * 3 + i, "spatial entry");
  }
  const int64_t layout = integer(27, "layout"), filterLayout = integer(28, "filterLayout"), activation = integer(30, "activation");
  if (layout < 0 || layout > 1 || filterLayout < 0 || filterLayout > 1 || activation < 0 || activation > 5) {
    throw rangeError("packed problem: layout, filterLayout or activation out of range");
  }
  p.layout = static_cast<Layout>(layout);
  p.filterLayout = static_cast<FilterLayout>(filterLayout);
  p.hasBias = v[29] != 0;
  p.activation = static_cast<Activation>(activation);
  // A float: NaN and values past float's range would make the activation meaningless.
  const double alpha = v[31];
  if (!(alpha >= -3.4028234663852886e38 && alpha <= 3.4028234663852886e38)) {
    throw rangeError("packed problem: activationAlpha must be a finite float32");
  }
  p.activationAlpha = static_cast<float>(alpha);
  return p;
}

}  // namespace deconv
