// A bounded LRU cache of DeconvPlans keyed by the normalized problem (and math mode), so a
// primitive is built once per problem however many calls use it. Thread-safe: the JS thread and
// the compute thread both look plans up.
#pragma once

#include <memory>
#include <string>

#include "../core/lru_cache.h"

#include "plan.h"

namespace deconv::onednn {

using PlanCacheStats = LruCacheStats;

class PlanCache {
 public:
  explicit PlanCache(std::size_t capacity) : cache_(capacity) {}

  // The plan for `problem`, built (outside the lock) on a miss.
  std::shared_ptr<const DeconvPlan> get(const Problem& problem, MathMode math);

  void setCapacity(std::size_t capacity) { cache_.setCapacity(capacity); }
  PlanCacheStats stats() { return cache_.stats(); }
  void clear() { cache_.clear(); }

  // The cache every call uses.
  static PlanCache& shared();

 private:
  LruCache<const DeconvPlan> cache_;
};

// The cache key: every field of the problem that changes the primitive, and the thread count.
std::string planKey(const Problem& problem, MathMode math);

}  // namespace deconv::onednn
