// A bounded LRU cache of DeconvPlans keyed by the normalized problem (and math mode), so a
// primitive is built once per problem however many calls use it. Thread-safe: the JS thread and
// the compute thread both look plans up.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "plan.h"

namespace deconv::onednn {

struct PlanCacheStats {
  std::size_t size = 0;
  std::size_t capacity = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};

class PlanCache {
 public:
  explicit PlanCache(std::size_t capacity) : capacity_(capacity) {}

  // The plan for `problem`, built (outside the lock) on a miss.
  std::shared_ptr<const DeconvPlan> get(const Problem& problem, MathMode math);

  void setCapacity(std::size_t capacity);
  PlanCacheStats stats();
  void clear();

  // The cache every call uses.
  static PlanCache& shared();

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const DeconvPlan>>;
  void evictOverflow();

  std::mutex mutex_;
  std::size_t capacity_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

// The cache key: every field of the problem that changes the primitive.
std::string planKey(const Problem& problem, MathMode math);

}  // namespace deconv::onednn
