#include "plan_cache.h"

#include "../core/no_destructor.h"
#include "../core/problem_key.h"

namespace deconv::cudnn {

namespace {

std::string planKey(const Problem& problem, const PlanOptions& o) {
  std::string key = problemKey(problem);
  key += static_cast<char>(o.dtype);
  key += static_cast<char>(o.allowTf32 | (o.deterministic << 1) | (o.benchmark << 2));
  key += std::to_string(o.device);
  return key;
}

}  // namespace

std::shared_ptr<Plan> PlanCache::get(const Problem& problem, const PlanOptions& options, Device& device) {
  const std::string key = planKey(problem, options);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = index_.find(key);
    if (found != index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
      return found->second->second;
    }
  }
  auto plan = std::make_shared<Plan>(problem, options, device);
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = index_.find(key);
  if (found != index_.end()) return found->second->second;
  lru_.emplace_front(key, plan);
  index_[key] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return plan;
}

void PlanCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  lru_.clear();
  index_.clear();
}

std::size_t PlanCache::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return lru_.size();
}

PlanCache& PlanCache::shared() {
  static NoDestructor<PlanCache> instance;
  return instance.get();
}

}  // namespace deconv::cudnn
