#include "plan_cache.h"

#include "../core/no_destructor.h"
#include "../core/problem_key.h"

namespace deconv::onednn {

std::string planKey(const Problem& p, MathMode math) {
  return problemKey(p) + static_cast<char>(math);
}

std::shared_ptr<const DeconvPlan> PlanCache::get(const Problem& problem, MathMode math) {
  const std::string key = planKey(problem, math);
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
  // Built outside the lock: a primitive can take milliseconds to create, and another thread
  // building the same plan at the same moment only wastes that work once.
  auto plan = std::make_shared<const DeconvPlan>(problem, math);
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = index_.find(key);
  if (found != index_.end()) return found->second->second;
  lru_.emplace_front(key, plan);
  index_[key] = lru_.begin();
  evictOverflow();
  return plan;
}

void PlanCache::evictOverflow() {
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

void PlanCache::setCapacity(std::size_t capacity) {
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_ = capacity;
  evictOverflow();
}

PlanCacheStats PlanCache::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {lru_.size(), capacity_, hits_, misses_};
}

void PlanCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  lru_.clear();
  index_.clear();
}

PlanCache& PlanCache::shared() {
  static NoDestructor<PlanCache> cache(std::size_t{128});
  return cache.get();
}

}  // namespace deconv::onednn
