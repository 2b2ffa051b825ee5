// A std::vector whose storage starts on a 64-byte boundary (a cache line, and an AVX-512 vector).
//
// For weights that kernels stream through on every call: oneDNN's GEMM read 4 MB of packed 1-D
// synthesis weights at half speed from a 16-byte-aligned std::vector (every other vector load
// split across two cache lines), 8.3 ms instead of 4.2 for the iSTFT layer.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace deconv {

template <typename T, std::size_t Alignment = 64>
struct AlignedAllocator {
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = AlignedAllocator<U, Alignment>;
  };
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U, Alignment>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{Alignment})); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{Alignment}); }

  template <typename U>
  bool operator==(const AlignedAllocator<U, Alignment>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const AlignedAllocator<U, Alignment>&) const noexcept {
    return false;
  }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace deconv
