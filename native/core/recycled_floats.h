// RecycledFloats: a float buffer for an async call's copies and results, whose large blocks are
// kept for the next call once freed, instead of going back to the system.
//
// An async call copies its input (the caller may change it while the call runs) and allocates its
// output, both anew each call. Blocks of a few MiB and up come straight from the system, whose
// fresh pages then fault on first write, one per 4 KiB, inside the convolution: in this VM that
// made an async call of a large layer twice as slow as the same plan run into a reused buffer
// (unet-4-b8: 248 ms against 107). Recycled blocks are already mapped. A few blocks are kept
// (up to kKeepBlocks, kKeepBytes in all), the most recently freed ones.
#pragma once

#include <cstddef>

namespace deconv {

class RecycledFloats {
 public:
  RecycledFloats() = default;
  // `count` floats, uninitialized.
  explicit RecycledFloats(std::size_t count);
  // A copy of `count` floats from `from` (empty when `from` is null).
  RecycledFloats(const float* from, std::size_t count);
  ~RecycledFloats();
  RecycledFloats(RecycledFloats&& other) noexcept;
  RecycledFloats& operator=(RecycledFloats&& other) noexcept;
  RecycledFloats(const RecycledFloats&) = delete;
  RecycledFloats& operator=(const RecycledFloats&) = delete;

  float* data() { return data_; }
  const float* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Blocks kept for reuse now, and their bytes (for tests).
  static std::size_t keptBlocks();
  static std::size_t keptBytes();

 private:
  void release() noexcept;

  float* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;  // of the block (rounded up where recycled)
};

}  // namespace deconv
