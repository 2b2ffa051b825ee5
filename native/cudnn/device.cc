#include "device.h"

#include <algorithm>
#include <limits>

#include "../core/error.h"
#include "../core/no_destructor.h"

namespace deconv::cudnn {

namespace {

std::atomic<int64_t> workspaceCap{int64_t{1} << 30};  // 1 GiB unless the user says otherwise

struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<Device>> devices;
};

Registry& registry() {
  static NoDestructor<Registry> instance;
  return instance.get();
}

std::string bytesText(std::size_t bytes) {
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  return std::to_string(static_cast<int64_t>(mib + 0.5)) + " MiB";
}

}  // namespace

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    data_ = other.data_;
    capacity_ = other.capacity_;
    other.owner_ = nullptr;
    other.data_ = nullptr;
    other.capacity_ = 0;
  }
  return *this;
}

void PinnedBuffer::release() {
  if (owner_ && data_) owner_->recycle(data_, capacity_);
  owner_ = nullptr;
  data_ = nullptr;
  capacity_ = 0;
}

std::vector<Device*> createdDevices() {
  std::vector<Device*> devices;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto& slot : r.devices) {
    if (slot) devices.push_back(slot.get());
  }
  return devices;
}

int Device::count() { return availability().usable ? availability().deviceCount : 0; }

Device& Device::get(int ordinal) {
  driver();  // throws the availability reason when the backend cannot be used
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (ordinal < 0 || ordinal >= availability().deviceCount) {
    throw rangeError("device must be an index below " + std::to_string(availability().deviceCount) + " (the CUDA devices present), got " +
                     std::to_string(ordinal));
  }
  if (r.devices.size() < static_cast<std::size_t>(availability().deviceCount)) r.devices.resize(availability().deviceCount);
  auto& slot = r.devices[ordinal];
  if (!slot) slot.reset(new Device(ordinal));  // private constructor: make_unique cannot reach it
  return *slot;
}

Device::Device(int ordinal) : ordinal_(ordinal) {
  const DriverApi& cu = driver();
  const CudnnApi& dn = dnn();
  checkDriver(cu.cuDeviceGet(&device_, ordinal), "cuDeviceGet");
  char name[256] = {0};
  checkDriver(cu.cuDeviceGetName(name, sizeof(name) - 1, device_), "cuDeviceGetName");
  name_ = name;
  checkDriver(cu.cuDeviceGetAttribute(&ccMajor_, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device_), "cuDeviceGetAttribute");
  checkDriver(cu.cuDeviceGetAttribute(&ccMinor_, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device_), "cuDeviceGetAttribute");
  std::size_t total = 0;
  checkDriver(cu.cuDeviceTotalMem(&total, device_), "cuDeviceTotalMem");
  totalMemory_ = static_cast<int64_t>(total);
  // The primary context is the one the CUDA runtime (and so PyTorch) uses too.
  checkDriver(cu.cuDevicePrimaryCtxRetain(&context_, device_), "cuDevicePrimaryCtxRetain");
  makeCurrent();
  checkDriver(cu.cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  checkDriver(cu.cuDeviceGetDefaultMemPool(&pool_, device_), "cuDeviceGetDefaultMemPool");
  // Keep freed blocks cached in the pool instead of returning them at each synchronization.
  cuuint64_t keep = std::numeric_limits<cuuint64_t>::max();
  checkDriver(cu.cuMemPoolSetAttribute(pool_, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep), "cuMemPoolSetAttribute");
  checkCudnn(dn.cudnnCreate(&handle_), "cudnnCreate");
  checkCudnn(dn.cudnnSetStream(handle_, reinterpret_cast<cudaStream_t>(stream_)), "cudnnSetStream");
}

void Device::makeCurrent() const { checkDriver(driver().cuCtxSetCurrent(context_), "cuCtxSetCurrent"); }

CUdeviceptr Device::allocate(std::size_t bytes, const char* what) {
  const DriverApi& cu = driver();
  CUdeviceptr pointer = 0;
  if (bytes == 0) bytes = 1;  // a distinct, valid address even for empty tensors
  CUresult result = cu.cuMemAllocAsync(&pointer, bytes, stream_);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    // Cached blocks may be what stands in the way: give them back and try once more.
    cu.cuStreamSynchronize(stream_);
    cu.cuMemPoolTrimTo(pool_, 0);
    result = cu.cuMemAllocAsync(&pointer, bytes, stream_);
  }
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    int64_t freeBytes = 0, totalBytes = 0;
    memoryInfo(freeBytes, totalBytes);
    throw Error(ErrorKind::Error, std::string("cudnn: out of device memory: ") + what + " needs " + bytesText(bytes) + ", " +
                                      bytesText(static_cast<std::size_t>(freeBytes)) + " of " +
                                      bytesText(static_cast<std::size_t>(totalBytes)) + " free on device " +
                                      std::to_string(ordinal_));
  }
  checkDriver(result, "cuMemAllocAsync");
  return pointer;
}

CUdeviceptr Device::tryAllocate(std::size_t bytes) {
  CUdeviceptr pointer = 0;
  if (driver().cuMemAllocAsync(&pointer, bytes == 0 ? 1 : bytes, stream_) != CUDA_SUCCESS) return 0;
  return pointer;
}

void Device::free(CUdeviceptr pointer) {
  if (pointer) driver().cuMemFreeAsync(pointer, stream_);
}

CUdeviceptr Device::workspace(std::size_t bytes) {
  if (bytes == 0) return 0;
  if (bytes <= workspaceBytes_) return workspace_;
  const CUdeviceptr grown = tryAllocate(bytes);
  if (grown == 0) return 0;
  if (workspace_) {
    free(workspace_);  // stream-ordered: calls queued before still use the old one safely
    counters_.scratchBytes -= static_cast<int64_t>(workspaceBytes_);
  }
  workspace_ = grown;
  workspaceBytes_ = bytes;
  counters_.scratchBytes += static_cast<int64_t>(bytes);
  return workspace_;
}

void Device::releaseCachedPinned() {
  std::lock_guard<std::mutex> lock(pinnedMutex_);
  for (auto& [data, capacity] : pinnedFree_) {
    driver().cuMemFreeHost(data);
    counters_.pinnedBytes -= static_cast<int64_t>(capacity);
  }
  pinnedFree_.clear();
}

PinnedBuffer Device::pinned(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  {
    std::lock_guard<std::mutex> lock(pinnedMutex_);
    // The smallest cached block that fits.
    auto best = pinnedFree_.end();
    for (auto it = pinnedFree_.begin(); it != pinnedFree_.end(); ++it) {
      if (it->second >= bytes && (best == pinnedFree_.end() || it->second < best->second)) best = it;
    }
    if (best != pinnedFree_.end()) {
      PinnedBuffer buffer(this, best->first, best->second);
      pinnedFree_.erase(best);
      return buffer;
    }
  }
  // Round up so that slowly growing requests reuse blocks.
  std::size_t capacity = 1 << 16;
  while (capacity < bytes) capacity *= 2;
  void* data = nullptr;
  makeCurrent();
  checkDriver(driver().cuMemHostAlloc(&data, capacity, 0), "cuMemHostAlloc (pinned staging)");
  counters_.pinnedBytes += static_cast<int64_t>(capacity);
  return PinnedBuffer(this, data, capacity);
}

void Device::recycle(void* data, std::size_t capacity) {
  std::lock_guard<std::mutex> lock(pinnedMutex_);
  pinnedFree_.emplace_back(data, capacity);
  // Keep the cache small: free the largest blocks beyond eight.
  while (pinnedFree_.size() > 8) {
    auto largest = std::max_element(pinnedFree_.begin(), pinnedFree_.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
    driver().cuMemFreeHost(largest->first);
    counters_.pinnedBytes -= static_cast<int64_t>(largest->second);
    pinnedFree_.erase(largest);
  }
}

void Device::synchronize() { checkDriver(driver().cuStreamSynchronize(stream_), "cuStreamSynchronize"); }

int64_t Device::poolReservedBytes() const {
  cuuint64_t value = 0;
  driver().cuMemPoolGetAttribute(pool_, CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &value);
  return static_cast<int64_t>(value);
}

void Device::memoryInfo(int64_t& freeBytes, int64_t& totalBytes) const {
  std::size_t f = 0, t = 0;
  makeCurrent();
  checkDriver(driver().cuMemGetInfo(&f, &t), "cuMemGetInfo");
  freeBytes = static_cast<int64_t>(f);
  totalBytes = static_cast<int64_t>(t);
}

void Device::setWorkspaceLimit(int64_t bytes) { workspaceCap = bytes; }
int64_t Device::workspaceLimit() { return workspaceCap; }

namespace {

// A CUDA event, released when it goes out of scope.
class ScopedEvent {
 public:
  ScopedEvent() { checkDriver(driver().cuEventCreate(&event_, CU_EVENT_DEFAULT), "cuEventCreate"); }
  ~ScopedEvent() { driver().cuEventDestroy(event_); }
  ScopedEvent(const ScopedEvent&) = delete;
  ScopedEvent& operator=(const ScopedEvent&) = delete;
  CUevent get() const { return event_; }

 private:
  CUevent event_ = nullptr;
};

}  // namespace

float Device::timeRuns(int runs, const std::function<bool()>& run) {
  const DriverApi& cu = driver();
  ScopedEvent start, stop;
  if (cu.cuEventRecord(start.get(), stream_) != CUDA_SUCCESS) return -1.f;
  bool ok = true;
  for (int r = 0; r < runs && ok; ++r) ok = run();
  if (cu.cuEventRecord(stop.get(), stream_) != CUDA_SUCCESS || cu.cuEventSynchronize(stop.get()) != CUDA_SUCCESS) return -1.f;
  float ms = 0.f;
  if (!ok || cu.cuEventElapsedTime(&ms, start.get(), stop.get()) != CUDA_SUCCESS) return -1.f;
  return ms / static_cast<float>(runs);
}

}  // namespace deconv::cudnn
