#include "recycled_floats.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "no_destructor.h"

namespace deconv {

namespace {

constexpr std::size_t kRecycleFrom = std::size_t{1} << 20;  // smaller blocks: the allocator reuses them itself
constexpr std::size_t kGranule = std::size_t{1} << 20;      // sizes rounded up to this, so near sizes share blocks
constexpr std::size_t kKeepBlocks = 8;
constexpr std::size_t kKeepBytes = std::size_t{256} << 20;
constexpr std::align_val_t kAlignment{64};

std::size_t blockBytes(std::size_t count) {
  const std::size_t bytes = count * sizeof(float);
  return bytes < kRecycleFrom ? bytes : (bytes + kGranule - 1) / kGranule * kGranule;
}

class Recycler {
 public:
  void* take(std::size_t bytes) {
    if (bytes >= kRecycleFrom) {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) {
        if (it->bytes == bytes) {
          void* block = it->block;
          keptBytes_ -= bytes;
          kept_.erase(std::next(it).base());
          return block;
        }
      }
    }
    return ::operator new(bytes, kAlignment);
  }

  void give(void* block, std::size_t bytes) noexcept {
    if (bytes >= kRecycleFrom && bytes <= kKeepBytes) {
      std::vector<Kept> evicted;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        // The oldest go first, to make room for this most recent size.
        while (!kept_.empty() && (kept_.size() >= kKeepBlocks || keptBytes_ + bytes > kKeepBytes)) {
          keptBytes_ -= kept_.front().bytes;
          evicted.push_back(kept_.front());
          kept_.erase(kept_.begin());
        }
        try {
          kept_.push_back({block, bytes});
          keptBytes_ += bytes;
          block = nullptr;
        } catch (const std::bad_alloc&) {
          // not kept: freed below
        }
      }
      for (const Kept& k : evicted) ::operator delete(k.block, kAlignment);
    }
    if (block != nullptr) ::operator delete(block, kAlignment);
  }

  std::size_t blocks() {
    std::lock_guard<std::mutex> lock(mutex_);
    return kept_.size();
  }
  std::size_t bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return keptBytes_;
  }

  static Recycler& shared() {
    // Never destroyed: results in JS may be freed while the process exits.
    static NoDestructor<Recycler> recycler;
    return recycler.get();
  }

 private:
  struct Kept {
    void* block;
    std::size_t bytes;
  };
  std::mutex mutex_;
  std::vector<Kept> kept_;  // oldest first
  std::size_t keptBytes_ = 0;
};

}  // namespace

RecycledFloats::RecycledFloats(std::size_t count) : size_(count), bytes_(blockBytes(count)) {
  if (count > 0) data_ = static_cast<float*>(Recycler::shared().take(bytes_));
}

RecycledFloats::RecycledFloats(const float* from, std::size_t count) : RecycledFloats(from ? count : 0) {
  if (size_ > 0) std::memcpy(data_, from, size_ * sizeof(float));
}

RecycledFloats::~RecycledFloats() { release(); }

RecycledFloats::RecycledFloats(RecycledFloats&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)), bytes_(std::exchange(other.bytes_, 0)) {}

RecycledFloats& RecycledFloats::operator=(RecycledFloats&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void RecycledFloats::release() noexcept {
  if (data_ != nullptr) Recycler::shared().give(data_, bytes_);
  data_ = nullptr;
  size_ = bytes_ = 0;
}

std::size_t RecycledFloats::keptBlocks() { return Recycler::shared().blocks(); }
std::size_t RecycledFloats::keptBytes() { return Recycler::shared().bytes(); }

}  // namespace deconv
