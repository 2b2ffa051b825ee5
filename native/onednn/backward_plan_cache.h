// A bounded LRU cache of BackwardPlans keyed like the forward plans (planKey), so the backward
// primitives are built once per problem. Thread-safe. Separate from the forward cache: training
// alternates forward and backward calls of the same problems, and neither should evict the other.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "backward_plan.h"
#include "plan_cache.h"

namespace deconv::onednn {

class BackwardPlanCache {
 public:
  explicit BackwardPlanCache(std::size_t capacity) : capacity_(capacity) {}

  // The plan for `problem` (bias and activation ignored), built outside the lock on a miss.
  std::shared_ptr<const BackwardPlan> get(const Problem& problem);
  void setCapacity(std::size_t capacity);
  PlanCacheStats stats();
  void clear();

  static BackwardPlanCache& shared();

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const BackwardPlan>>;
  void evictOverflow();

  std::mutex mutex_;
  std::size_t capacity_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace deconv::onednn
