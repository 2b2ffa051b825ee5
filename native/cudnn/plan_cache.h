// Plans by (problem, dtype, options, device), least recently used evicted past the capacity.
#pragma once

#include <memory>

#include "../core/lru_cache.h"

#include "plan.h"

namespace deconv::cudnn {

class PlanCache {
 public:
  // The plan, built on a miss. The caller holds the device's mutex with its context current.
  std::shared_ptr<Plan> get(const Problem& problem, const PlanOptions& options, Device& device);
  void clear() { cache_.clear(); }

  static PlanCache& shared();

 private:
  LruCache<Plan> cache_{128};
};

}  // namespace deconv::cudnn
