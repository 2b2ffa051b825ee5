// DeviceBuffer: the memory behind one device tensor, freed (stream-ordered) when the last owner
// lets go. JS holds it through a shared_ptr in an External; calls in flight hold their own
// share, so dispose() during an async call is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "device.h"
#include "dtype.h"

namespace deconv::cudnn {

class DeviceBuffer {
 public:
  // Uninitialized memory for `elements` values of `dtype` on `device`.
  DeviceBuffer(Device& device, DType dtype, int64_t elements);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  Device& device() const { return device_; }
  DType dtype() const { return dtype_; }
  int64_t elements() const { return elements_; }
  std::size_t bytes() const { return static_cast<std::size_t>(elements_) * dtypeSize(dtype_); }
  CUdeviceptr pointer() const { return pointer_; }

 private:
  Device& device_;
  DType dtype_;
  int64_t elements_;
  CUdeviceptr pointer_ = 0;
};

// Scratch device memory for the length of one call (workspace, temporaries), freed in stream
// order when it goes out of scope.
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(Device& device, std::size_t bytes, const char* what);
  ScratchBuffer(ScratchBuffer&& other) noexcept { *this = std::move(other); }
  ScratchBuffer& operator=(ScratchBuffer&& other) noexcept;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { reset(); }

  // Empty (pointer() == 0) instead of throwing when the memory cannot be had.
  static ScratchBuffer tryMake(Device& device, std::size_t bytes);

  CUdeviceptr pointer() const { return pointer_; }
  void* get() const { return reinterpret_cast<void*>(pointer_); }
  void reset();

 private:
  Device* device_ = nullptr;
  std::size_t bytes_ = 0;
  CUdeviceptr pointer_ = 0;
};

}  // namespace deconv::cudnn
