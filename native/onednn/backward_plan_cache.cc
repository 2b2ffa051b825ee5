#include "backward_plan_cache.h"

#include "../core/no_destructor.h"

namespace deconv::onednn {

std::shared_ptr<const BackwardPlan> BackwardPlanCache::get(const Problem& problem) {
  Problem linear = problem;  // bias and activation do not change the gradients' primitives
  linear.hasBias = false;
  linear.activation = Activation::None;
  linear.activationAlpha = 0.f;
  return cache_.get(planKey(linear, MathMode::Float32), [&] { return std::make_shared<const BackwardPlan>(linear); });
}

BackwardPlanCache& BackwardPlanCache::shared() {
  static NoDestructor<BackwardPlanCache> cache(std::size_t{128});
  return cache.get();
}

}  // namespace deconv::onednn
