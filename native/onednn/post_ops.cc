#include "post_ops.h"

#include <limits>

namespace deconv::onednn {

dnnl::post_ops activationPostOps(const Problem& p) {
  dnnl::post_ops ops;
  switch (p.activation) {
    case Activation::None: break;
    // max(x, 0) as a clip to [0, +inf): eltwise_relu with slope 0 computes x·0 below zero in some
    // fused kernels, which makes relu(-inf) NaN instead of 0.
    case Activation::Relu:
      ops.append_eltwise(dnnl::algorithm::eltwise_clip, 0.f, std::numeric_limits<float>::infinity());
      break;
    case Activation::LeakyRelu:
      // A slope of 0 is relu (oneDNN computes it as max(x, 0), with NaN giving 0: the same here).
      if (p.activationAlpha == 0.f) {
        ops.append_eltwise(dnnl::algorithm::eltwise_clip, 0.f, std::numeric_limits<float>::infinity());
      } else {
        ops.append_eltwise(dnnl::algorithm::eltwise_relu, p.activationAlpha, 0.f);
      }
      break;
    case Activation::Sigmoid: ops.append_eltwise(dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
    case Activation::Tanh: ops.append_eltwise(dnnl::algorithm::eltwise_tanh, 0.f, 0.f); break;
    case Activation::Elu: ops.append_eltwise(dnnl::algorithm::eltwise_elu, p.activationAlpha, 0.f); break;
  }
  return ops;
}

}  // namespace deconv::onednn
