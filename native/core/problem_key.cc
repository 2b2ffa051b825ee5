#include "problem_key.h"

#include <cstdint>
#include <cstring>

namespace deconv {

std::string problemKey(const Problem& p) {
  int64_t fields[32] = {p.rank, p.batch, p.inChannels, p.outChannels, p.groups};
  int n = 5;
  for (const SpatialDims* dims : {&p.inSpatial, &p.outSpatial, &p.kernel, &p.strides, &p.dilations, &p.padsBegin, &p.padsEnd}) {
    for (int i = 0; i < kMaxSpatialRank; ++i) fields[n++] = (*dims)[i];
  }
  fields[n++] = static_cast<int64_t>(p.layout);
  fields[n++] = static_cast<int64_t>(p.filterLayout);
  fields[n++] = p.hasBias;
  fields[n++] = static_cast<int64_t>(p.activation);
  const float alpha = p.activation == Activation::None ? 0.f : p.activationAlpha;
  int32_t alphaBits;
  std::memcpy(&alphaBits, &alpha, sizeof alphaBits);
  fields[n++] = alphaBits;
  return std::string(reinterpret_cast<const char*>(fields), sizeof(int64_t) * n);
}

}  // namespace deconv
