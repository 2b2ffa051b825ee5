// A bounded LRU cache of BackwardPlans keyed like the forward plans (planKey), so the backward
// primitives are built once per problem. Thread-safe. Separate from the forward cache: training
// alternates forward and backward calls of the same problems, and neither should evict the other.
#pragma once

#include <memory>

#include "../core/lru_cache.h"

#include "backward_plan.h"
#include "plan_cache.h"

namespace deconv::onednn {

class BackwardPlanCache {
 public:
  explicit BackwardPlanCache(std::size_t capacity) : cache_(capacity) {}

  // The plan for `problem` (bias and activation ignored), built outside the lock on a miss.
  std::shared_ptr<const BackwardPlan> get(const Problem& problem);
  void setCapacity(std::size_t capacity) { cache_.setCapacity(capacity); }
  PlanCacheStats stats() { return cache_.stats(); }
  void clear() { cache_.clear(); }

  static BackwardPlanCache& shared();

 private:
  LruCache<const BackwardPlan> cache_;
};

}  // namespace deconv::onednn
