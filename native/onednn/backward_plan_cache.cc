#include "backward_plan_cache.h"

#include "../core/no_destructor.h"

namespace deconv::onednn {

std::shared_ptr<const BackwardPlan> BackwardPlanCache::get(const Problem& problem) {
  Problem linear = problem;  // bias and activation do not change the gradients' primitives
  linear.hasBias = false;
  linear.activation = Activation::None;
  linear.activationAlpha = 0.f;
  const std::string key = planKey(linear, MathMode::Float32);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = index_.find(key);
    if (found != index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
      ++hits_;
      return found->second->second;
    }
    ++misses_;
  }
  auto plan = std::make_shared<const BackwardPlan>(linear);
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = index_.find(key);
  if (found != index_.end()) return found->second->second;
  lru_.emplace_front(key, plan);
  index_[key] = lru_.begin();
  evictOverflow();
  return plan;
}

void BackwardPlanCache::evictOverflow() {
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

void BackwardPlanCache::setCapacity(std::size_t capacity) {
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_ = capacity;
  evictOverflow();
}

PlanCacheStats BackwardPlanCache::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {lru_.size(), capacity_, hits_, misses_};
}

void BackwardPlanCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  lru_.clear();
  index_.clear();
}

BackwardPlanCache& BackwardPlanCache::shared() {
  static NoDestructor<BackwardPlanCache> cache(std::size_t{128});
  return cache.get();
}

}  // namespace deconv::onednn
