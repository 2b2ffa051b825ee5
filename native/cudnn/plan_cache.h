// Plans by (problem, dtype, options, device), least recently used evicted past the capacity.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "plan.h"

namespace deconv::cudnn {

class PlanCache {
 public:
  // The plan, built on a miss. The caller holds the device's mutex with its context current.
  std::shared_ptr<Plan> get(const Problem& problem, const PlanOptions& options, Device& device);
  void clear();
  std::size_t size();

  static PlanCache& shared();

 private:
  using Entry = std::pair<std::string, std::shared_ptr<Plan>>;
  std::mutex mutex_;
  std::size_t capacity_ = 128;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace deconv::cudnn
