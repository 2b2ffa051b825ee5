#include "own_way.h"

#include "context.h"

namespace deconv::onednn {

void OwnWay::execute(const float* x, const float* w, const float* bias, float* y) const {
  auto* packed = static_cast<float*>(threadScratch(1, packedElements() * sizeof(float)));
  pack(w, packed);
  executePacked(x, packed, bias, y);
}

}  // namespace deconv::onednn
