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
  return cache_.get(planKey(problem, options), [&] { return std::make_shared<Plan>(problem, options, device); });
}

PlanCache& PlanCache::shared() {
  static NoDestructor<PlanCache> instance;
  return instance.get();
}

}  // namespace deconv::cudnn
