#include "plan_cache.h"

#include <string>

#include "../core/no_destructor.h"
#include "../core/problem_key.h"
#include "context.h"

namespace deconv::onednn {

std::string planKey(const Problem& p, MathMode math) {
  // The thread count too: a plan's primitives run the count they were made for (ThreadCountScope).
  return problemKey(p) + static_cast<char>(math) + "|threads " + std::to_string(numThreads());
}

std::shared_ptr<const DeconvPlan> PlanCache::get(const Problem& problem, MathMode math) {
  // Built outside the lock: a primitive can take milliseconds to create.
  return cache_.get(planKey(problem, math), [&] { return std::make_shared<const DeconvPlan>(problem, math); });
}

PlanCache& PlanCache::shared() {
  static NoDestructor<PlanCache> cache(std::size_t{128});
  return cache.get();
}

}  // namespace deconv::onednn
