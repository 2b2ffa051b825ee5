// LruCache: a bounded, thread-safe map from byte-string keys to shared values, least recently
// used dropped first. Every backend keeps its plans in one, so a native primitive or plan is built
// once per problem however many calls use it.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace deconv {

struct LruCacheStats {
  std::size_t size = 0;
  std::size_t capacity = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};

template <typename Value>
class LruCache {
 public:
  explicit LruCache(std::size_t capacity) : capacity_(capacity) {}

  // The value for `key`; on a miss, `build()` makes it outside the lock (building can take long
  // and may itself look things up). When two threads miss at once, the first stored wins.
  template <typename Build>
  std::shared_ptr<Value> get(const std::string& key, Build build) {
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
    std::shared_ptr<Value> value = build();
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = index_.find(key);
    if (found != index_.end()) return found->second->second;
    lru_.emplace_front(key, value);
    index_[key] = lru_.begin();
    evictOverflow();
    return value;
  }

  void setCapacity(std::size_t capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    capacity_ = capacity;
    evictOverflow();
  }

  LruCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {lru_.size(), capacity_, hits_, misses_};
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    lru_.clear();
    index_.clear();
  }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<Value>>;

  void evictOverflow() {
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }

  std::mutex mutex_;
  std::size_t capacity_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace deconv
