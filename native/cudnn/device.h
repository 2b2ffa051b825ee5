// One GPU as the backend uses it: its primary context, one stream, one cuDNN handle, a
// stream-ordered memory pool, and pinned host staging buffers.
//
// Everything deconv does on a device is enqueued on that one stream, so work is ordered without
// events: a tensor freed with cuMemFreeAsync is released only after every call queued before the
// free has finished, and a result read back after a call sees that call's output.
//
// Device memory comes from the driver's stream-ordered allocator (cuMemAllocAsync) with the pool
// told to keep what it gets (release threshold = max): a caching allocator, so the per-call output
// and workspace allocations of a loop cost no driver round trip and no device synchronization
// after the first iteration. The cuDNN workspace is capped (setWorkspaceLimit); an algorithm that
// needs more is passed over for the next candidate.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api.h"

namespace deconv::cudnn {

// Counters behind deviceMemory() (bytes and counts; process-wide per device).
struct MemoryCounters {
  std::atomic<int64_t> tensorBytes{0};
  std::atomic<int64_t> tensors{0};
  std::atomic<int64_t> scratchBytes{0};  // workspaces and temporaries in use right now
  std::atomic<int64_t> pinnedBytes{0};   // pinned staging held (in use or cached)
};

class Device;

// A block of pinned host memory leased from a device's staging pool; returns itself on release.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(Device* owner, void* data, std::size_t capacity) : owner_(owner), data_(data), capacity_(capacity) {}
  PinnedBuffer(PinnedBuffer&& other) noexcept { *this = std::move(other); }
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() { release(); }

  void* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }
  void release();

 private:
  Device* owner_ = nullptr;
  void* data_ = nullptr;
  std::size_t capacity_ = 0;
};

class Device {
 public:
  // The device with this ordinal, set up on first use (throws when the backend is unavailable or
  // the ordinal is out of range). Devices live until the process exits.
  static Device& get(int ordinal);
  static int count();
  // Calls `visit` for every device set up so far (none are created by this).
  template <typename Visit>
  static void forEachCreated(Visit visit);

  // Makes this device's context current on the calling thread (cheap when it already is).
  void makeCurrent() const;

  int ordinal() const { return ordinal_; }
  CUstream stream() const { return stream_; }
  cudnnHandle_t handle() const { return handle_; }
  const std::string& name() const { return name_; }
  int computeCapability() const { return ccMajor_ * 10 + ccMinor_; }
  int64_t totalMemory() const { return totalMemory_; }

  // Serializes use of the stream and the cuDNN handle across JS threads (main and workers).
  std::recursive_mutex& mutex() { return mutex_; }

  // Stream-ordered allocation; on failure, trims the pool's cache and tries once more, then
  // throws an out-of-memory Error that names the size (the process stays usable).
  CUdeviceptr allocate(std::size_t bytes, const char* what);
  // The same, but 0 instead of an exception when the memory cannot be had.
  CUdeviceptr tryAllocate(std::size_t bytes);
  void free(CUdeviceptr pointer);

  // The device's cuDNN workspace: one buffer reused by every call (they are ordered on the
  // stream), grown on demand. Returns 0 when `bytes` cannot be had. Caller holds the mutex.
  CUdeviceptr workspace(std::size_t bytes);

  // Frees the cached pinned staging blocks (at environment teardown; leased ones come back later).
  void releaseCachedPinned();

  // Pinned staging memory of at least `bytes` (reused across calls).
  PinnedBuffer pinned(std::size_t bytes);
  void recycle(void* data, std::size_t capacity);

  // Waits for everything queued so far.
  void synchronize();

  // Device time per call, in ms, of `runs` back-to-back calls of `run` on the stream, measured by
  // CUDA events around them; -1 when a call returns false or the events fail. Exceptions from
  // `run` propagate (the events are released either way). Caller holds the mutex.
  float timeRuns(int runs, const std::function<bool()>& run);

  MemoryCounters& counters() { return counters_; }
  // Bytes the pool holds from the driver (in use and cached).
  int64_t poolReservedBytes() const;
  // Free and total device memory as the driver reports them.
  void memoryInfo(int64_t& freeBytes, int64_t& totalBytes) const;

  static void setWorkspaceLimit(int64_t bytes);
  static int64_t workspaceLimit();

  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

 private:
  explicit Device(int ordinal);

  int ordinal_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  CUmemoryPool pool_ = nullptr;
  cudnnHandle_t handle_ = nullptr;
  std::string name_;
  int ccMajor_ = 0;
  int ccMinor_ = 0;
  int64_t totalMemory_ = 0;
  std::recursive_mutex mutex_;  // recursive: a finalizer may free a tensor on a thread inside a call
  MemoryCounters counters_;

  CUdeviceptr workspace_ = 0;
  std::size_t workspaceBytes_ = 0;

  std::mutex pinnedMutex_;
  std::vector<std::pair<void*, std::size_t>> pinnedFree_;
};

// The devices created so far (Device::get adds them; they are never removed).
std::vector<Device*> createdDevices();

template <typename Visit>
void Device::forEachCreated(Visit visit) {
  for (Device* device : createdDevices()) visit(*device);
}

}  // namespace deconv::cudnn
