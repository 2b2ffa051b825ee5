#include "buffer.h"

namespace deconv::cudnn {

DeviceBuffer::DeviceBuffer(Device& device, DType dtype, int64_t elements) : device_(device), dtype_(dtype), elements_(elements) {
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  pointer_ = device.allocate(bytes(), "a device tensor");
  device.counters().tensorBytes += static_cast<int64_t>(bytes());
  device.counters().tensors += 1;
}

DeviceBuffer::~DeviceBuffer() {
  try {
    std::lock_guard<std::recursive_mutex> lock(device_.mutex());
    device_.makeCurrent();
    device_.free(pointer_);
  } catch (...) {
    // Freeing never throws out of a destructor; a failure here means the context is gone.
  }
  device_.counters().tensorBytes -= static_cast<int64_t>(bytes());
  device_.counters().tensors -= 1;
}

ScratchBuffer::ScratchBuffer(Device& device, std::size_t bytes, const char* what) : device_(&device), bytes_(bytes) {
  pointer_ = device.allocate(bytes, what);
  device.counters().scratchBytes += static_cast<int64_t>(bytes);
}

ScratchBuffer ScratchBuffer::tryMake(Device& device, std::size_t bytes) {
  ScratchBuffer scratch;
  scratch.pointer_ = device.tryAllocate(bytes);
  if (scratch.pointer_) {
    scratch.device_ = &device;
    scratch.bytes_ = bytes;
    device.counters().scratchBytes += static_cast<int64_t>(bytes);
  }
  return scratch;
}

ScratchBuffer& ScratchBuffer::operator=(ScratchBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = other.device_;
    bytes_ = other.bytes_;
    pointer_ = other.pointer_;
    other.device_ = nullptr;
    other.pointer_ = 0;
    other.bytes_ = 0;
  }
  return *this;
}

// Callers hold the device's mutex with its context current (scratch lives inside one call).
void ScratchBuffer::reset() {
  if (device_ && pointer_) {
    device_->free(pointer_);
    device_->counters().scratchBytes -= static_cast<int64_t>(bytes_);
  }
  device_ = nullptr;
  pointer_ = 0;
  bytes_ = 0;
}

}  // namespace deconv::cudnn
